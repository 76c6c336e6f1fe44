import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { leftoverResources } from '../_support/resources.js';
import { createBreakers, type BreakerStateChange } from '../../src/breaker/index.js';
import { httpWorker } from '../../src/http/httpWorker.js';
import { createFanout, staticRouter } from '../../src/index.js';
import type { Instance } from '../../src/router/types.js';

let server: Server;
let base: string;
let resourcesBefore: string[];

beforeAll(async () => {
  resourcesBefore = process.getActiveResourcesInfo();
  // Each instance answers with the status its id names: /403/items → 403.
  server = createServer((req, res) => {
    const status = Number(req.url?.split('/')[1]);
    res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? '["ok"]' : '{"error":"secret upstream detail"}');
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

test('over real HTTP, 403 and 404 answers never open a breaker while 500s do, and the open instance is then skipped', async () => {
  const instances: Instance[] = [200, 403, 404, 500].map((status) => ({ id: `s${status}`, url: `${base}/${status}` }));
  const changes: BreakerStateChange[] = [];
  const breakers = createBreakers({ policy: { kind: 'consecutive', threshold: 3 }, on: { stateChange: (s) => changes.push(s) } });
  const fanout = createFanout({ router: staticRouter(instances), breaker: breakers, retry: false });
  const worker = httpWorker<string[]>({ path: '/items' });

  for (let i = 0; i < 5; i += 1) await fanout.collect({ operation: 'items', data: undefined, context: undefined, worker });
  const last = await fanout.collect({ operation: 'items', data: undefined, context: undefined, worker });

  expect(changes.map((c) => `${c.instanceId}:${c.to}`)).toEqual(['s500:open']);
  expect(['s200', 's403', 's404', 's500'].map((id) => breakers.state(id))).toEqual(['closed', 'closed', 'closed', 'open']);
  expect(last.skipped.map((o) => [o.instance.id, o.reason])).toEqual([['s500', 'circuit-open']]);
  expect(last.unauthorized.map((o) => o.instance.id)).toEqual(['s403']);
  expect(last.notFound.map((o) => o.instance.id)).toEqual(['s404']);
});
