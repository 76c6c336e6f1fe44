import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { beforeAll, expect, test } from 'vitest';
import { createBreakers, type BreakerStoreErrorState, type Breakers } from '../../src/breaker/index.js';
import { redisStore } from '../../src/stores/redis/index.js';
import { createManualClock, type ManualClock } from '../../src/testing/index.js';
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

const skipped = (breakers: Breakers, instanceId: string) =>
  breakers.admit([{ id: instanceId }], 'orders').get(instanceId) === 'circuit-open';

/** Admits `instanceId` until it is skipped, for at most 10 s of real time (a wait, not a speed bound). */
async function untilSkipped(breakers: Breakers, instanceId: string): Promise<boolean> {
  for (let i = 0; i < 1_000; i += 1) {
    if (skipped(breakers, instanceId)) return true;
    await sleep(10);
  }
  return false;
}

function localReplica(prefix: string, on?: { storeError?(s: BreakerStoreErrorState): void }, clock?: ManualClock) {
  return createBreakers({
    store: redisStore({ client, prefix, commandTimeoutMs: 2_000 }),
    policy: { kind: 'consecutive', threshold: 3 },
    openMs: 5_000,
    syncIntervalMs: SYNC_MS,
    maxEjectedPercent: 100,
    ...(on === undefined ? {} : { on }),
    ...(clock === undefined ? {} : { clock }),
  });
}

test('a breaker opened in another process is skipped here after syncIntervalMs plus a round trip', async () => {
  prefixes += 1;
  const prefix = `p${prefixes}:`;
  // This replica's time moves only when the test says: the sync interval is exact, whatever the load.
  const clock = createManualClock(Date.now());
  const here = localReplica(prefix, undefined, clock);
  expect(skipped(here, 'eu-1')).toBe(false);

  const other = await openInOtherProcess(prefix, 'eu-1');
  expect(other).toEqual({ state: 'open', openMs: 5_000 });

  // Within the sync interval this replica does not ask Redis again, however long the wait.
  await sleep(50);
  expect(skipped(here, 'eu-1')).toBe(false);
  clock.advance(SYNC_MS);
  expect(await untilSkipped(here, 'eu-1')).toBe(true);
  expect(here.state('eu-1')).toBe('open');
  expect(here.admit([{ id: 'eu-2' }], 'orders').get('eu-2')).not.toBe('circuit-open');
});

test('Redis keeps the open record only for the open duration', async () => {
  prefixes += 1;
  const prefix = `p${prefixes}:`;
  await openInOtherProcess(prefix, 'us-1');
  const key = `${prefix}switchyard:breaker:us-1`;
  const record = JSON.parse((await client.get(key)) ?? '{}') as { until?: number };
  const pttl = await client.pttl(key);
  const readAt = Date.now();
  expect(pttl).toBeLessThanOrEqual(5_000);
  // Redis drops the record no earlier than the end of the open period it describes.
  expect(readAt + pttl).toBeGreaterThanOrEqual((record.until ?? Number.POSITIVE_INFINITY) - 1);
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
    for (let i = 0; i < 1_000 && !(errors.some((e) => e.action === 'set') && errors.some((e) => e.action === 'get')); i += 1) await sleep(10);
    expect(new Set(errors.map((e) => e.action))).toEqual(new Set(['get', 'set']));
  } finally {
    await server.restart();
    // ioredis waits up to 2 s between reconnect attempts: allow several.
    for (let i = 0; i < 500 && client.status !== 'ready'; i += 1) await sleep(20);
  }
});
