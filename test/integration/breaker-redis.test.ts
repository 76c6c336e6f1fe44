import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { beforeAll, expect, test } from 'vitest';
import { createBreakers, type BreakerStoreErrorState, type Breakers } from '../../src/breaker/index.js';
import { redisStore } from '../../src/stores/redis/index.js';
import { useRedisServer, type RedisServer } from '../helpers/redis-server.js';

const run = promisify(execFile);
const replica = fileURLToPath(new URL('../breaker/_replica.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SYNC_MS = 100;

const redis = useRedisServer();
let server: RedisServer;
let client: Redis;
beforeAll(() => {
  ({ server, client } = redis);
});
let prefixes = 0;

/** Opens `instanceId`'s breaker in another process through the same Redis. */
async function openInOtherProcess(prefix: string, instanceId: string): Promise<{ state: string; openMs: number }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', replica, server.url, prefix, instanceId], { timeout: 20_000 });
  return JSON.parse(stdout) as { state: string; openMs: number };
}

/** Admits `instanceId` until it is skipped or `limitMs` passes; returns the ms it took. */
async function msUntilSkipped(breakers: Breakers, instanceId: string, limitMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < limitMs) {
    if (breakers.admit([{ id: instanceId }], 'orders').get(instanceId) === 'circuit-open') return performance.now() - started;
    await sleep(5);
  }
  return Number.POSITIVE_INFINITY;
}

function localReplica(prefix: string, on?: { storeError?(s: BreakerStoreErrorState): void }) {
  return createBreakers({
    store: redisStore({ client, prefix, commandTimeoutMs: 200 }),
    policy: { kind: 'consecutive', threshold: 3 },
    openMs: 5_000,
    syncIntervalMs: SYNC_MS,
    maxEjectedPercent: 100,
    ...(on === undefined ? {} : { on }),
  });
}

test('a breaker opened in another process is skipped here within syncIntervalMs plus a round trip', async () => {
  prefixes += 1;
  const prefix = `p${prefixes}:`;
  const here = localReplica(prefix);
  expect(here.admit([{ id: 'eu-1' }], 'orders').get('eu-1')).not.toBe('circuit-open');

  const other = await openInOtherProcess(prefix, 'eu-1');
  expect(other).toEqual({ state: 'open', openMs: 5_000 });

  expect(await msUntilSkipped(here, 'eu-1', 2_000)).toBeLessThan(SYNC_MS + 1_000);
  expect(here.state('eu-1')).toBe('open');
  expect(here.admit([{ id: 'eu-2' }], 'orders').get('eu-2')).not.toBe('circuit-open');
});

test('Redis keeps the open record only for the open duration', async () => {
  prefixes += 1;
  const prefix = `p${prefixes}:`;
  await openInOtherProcess(prefix, 'us-1');
  const pttl = await client.pttl(`${prefix}switchyard:breaker:us-1`);
  expect(pttl).toBeGreaterThan(3_000);
  expect(pttl).toBeLessThanOrEqual(5_000);
});

test('while Redis is down, breakers keep deciding locally and report the store errors', async () => {
  prefixes += 1;
  const errors: BreakerStoreErrorState[] = [];
  const here = localReplica(`p${prefixes}:`, { storeError: (s) => errors.push(s) });
  await server.stop();
  try {
    for (let i = 0; i < 3; i += 1) {
      const permit = here.admit([{ id: 'ap-1' }], 'orders').get('ap-1');
      if (permit === 'circuit-open' || permit === undefined) throw new Error('should be admitted while closed');
      permit.failure();
    }
    expect(here.admit([{ id: 'ap-1' }], 'orders').get('ap-1')).toBe('circuit-open');
    for (let i = 0; i < 100 && !(errors.some((e) => e.action === 'set') && errors.some((e) => e.action === 'get')); i += 1) await sleep(10);
    expect(new Set(errors.map((e) => e.action))).toEqual(new Set(['get', 'set']));
  } finally {
    await server.restart();
    for (let i = 0; i < 100 && client.status !== 'ready'; i += 1) await sleep(20);
  }
});
