import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { leftoverResources } from '../_support/resources.js';
import { createBreakers, createHealthChecker, healthyOnly, type HealthCheckState } from '../../src/breaker/index.js';
import { filterRouter } from '../../src/router/filterRouter.js';
import { staticRouter } from '../../src/router/staticRouter.js';
import type { Instance } from '../../src/router/types.js';

let server: Server;
let base: string;
let resourcesBefore: string[];
const status = new Map<string, number | 'hang'>();

beforeAll(async () => {
  resourcesBefore = process.getActiveResourcesInfo();
  server = createServer((req, res) => {
    const id = req.url?.split('/')[1] ?? '';
    const answer = status.get(id) ?? 200;
    if (answer === 'hang') return;
    res.writeHead(answer).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(leftoverResources(resourcesBefore)).toEqual([]);
});


/** Resolves once every instance has been checked `rounds` times. */
function checksSeen(ids: string[], rounds: number) {
  const states: HealthCheckState[] = [];
  let resolve: () => void = () => {};
  const done = new Promise<void>((r) => (resolve = r));
  return {
    states,
    done,
    check(state: HealthCheckState) {
      states.push(state);
      if (ids.every((id) => states.filter((s) => s.instance.id === id).length >= rounds)) resolve();
    },
  };
}

test('health checks over HTTP open the breaker of a failing instance and drop it from routing', async () => {
  const list: Instance[] = ['eu', 'us', 'ap'].map((id) => ({ id, url: `${base}/${id}` }));
  status.set('us', 503);
  status.set('ap', 'hang');
  const breakers = createBreakers({ policy: { kind: 'consecutive', threshold: 2 }, maxEjectedPercent: 100 });
  const seen = checksSeen(['eu', 'us', 'ap'], 2);
  const health = createHealthChecker({
    instances: list,
    breakers,
    intervalMs: 20,
    // A healthy loopback answer must beat this even on a loaded machine; 'ap' hangs past it.
    timeoutMs: 1_000,
    check: async (instance, signal) => (await fetch(instance.url!, { signal })).ok,
    on: { check: (s) => seen.check(s) },
  });
  health.start();
  await seen.done;
  health.stop();

  const router = filterRouter(staticRouter(list), healthyOnly(health));
  const routed = await router.route({ operation: 'op', data: undefined, context: undefined, signal: new AbortController().signal });
  expect(routed.map((i) => i.id)).toEqual(['eu']);
  expect(['eu', 'us', 'ap'].map((id) => breakers.state(id))).toEqual(['closed', 'open', 'open']);
  expect(seen.states.filter((s) => s.instance.id === 'ap').every((s) => s.reason === 'timeout')).toBe(true);
});
