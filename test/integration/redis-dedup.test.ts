/** createDedup over a real redis-server in one process: a slow Redis is waited on only briefly. */
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDedup, type StoreErrorState } from '../../src/dedup/index.js';
import { redisStore } from '../../src/stores/redis/index.js';
import { createManualClock } from '../../src/testing/index.js';
import { deferred } from '../dedup/_support.js';
import { useRedisServer, type RedisServer } from '../helpers/redis-server.js';

const redis = useRedisServer();
let server: RedisServer;
let client: Redis;
beforeAll(() => {
  ({ server, client } = redis);
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 20 ms until it holds; fails after 10 s (a wait for a write, not a speed bound). */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error('The condition did not hold within 10 s');
}

describe('dedup over a real Redis', () => {
  it('answers from execute once storeTimeoutMs passes while Redis stalls, and reports the timeout', async () => {
    const errors: StoreErrorState[] = [];
    // The dedup's timers run on this clock: the store timeout fires when the test says so.
    const clock = createManualClock(Date.now());
    const dedup = createDedup({
      store: redisStore({ client, prefix: 'stall:' }),
      ttlMs: 10_000,
      storeTimeoutMs: 50,
      clock,
      on: { storeError: (s) => errors.push(s) },
    });
    await client.call('CLIENT', 'PAUSE', '500', 'ALL');
    let settled = false;
    const call = dedup.run({ operation: 'report', principal: 'alice', data: { id: 1 } }, async () => 'fresh');
    void call.finally(() => (settled = true));
    await sleep(20);
    expect(settled).toBe(false);
    clock.advance(50);
    expect(await call).toBe('fresh');
    expect(errors[0]).toMatchObject({ phase: 'get', timedOut: true });
    await sleep(550);
  });

  it('serves the first call of a replica created next to a warm Redis from the shared cache, even before ready()', async () => {
    const input = { operation: 'report', principal: 'alice', data: { id: 2 } };
    const warm = createDedup({ store: redisStore({ client, prefix: 'warm:' }), ttlMs: 60_000 });
    await warm.run(input, async () => 'cached');
    await until(async () => (await client.keys('warm:switchyard:v1:*')).length === 1);
    // Created and used at once: its first reads wait for the connection, within these wide timeouts.
    const store = redisStore({ url: server.url, prefix: 'warm:', commandTimeoutMs: 10_000 });
    try {
      const events: string[] = [];
      const replica = createDedup({ store, ttlMs: 60_000, storeTimeoutMs: 10_000, on: { hit: () => events.push('hit'), miss: () => events.push('miss') } });
      expect(await replica.run(input, async () => 'executed')).toBe('cached');
      expect(events).toEqual(['hit']);
    } finally {
      await store.close();
    }
  });

  it('does not bring back a value that another replica invalidated while a call was running', async () => {
    const input = { operation: 'report', principal: 'alice', data: { id: 3 } };
    const storeB = redisStore({ url: server.url, prefix: 'late:' });
    await storeB.ready();
    try {
      const a = createDedup({ store: redisStore({ client, prefix: 'late:' }), ttlMs: 60_000, storeTimeoutMs: 5_000 });
      const b = createDedup({ store: storeB, ttlMs: 60_000, storeTimeoutMs: 5_000 });
      const started = deferred<void>();
      const running = deferred<string>();
      const late = a.run(input, () => {
        started.resolve();
        return running.promise;
      });
      await started.promise;
      await b.invalidate({ operation: 'report', data: { id: 3 }, principal: 'alice' });
      running.resolve('old');
      expect(await late).toBe('old');
      // The late write lands in Redis...
      await until(async () => (await client.keys('late:switchyard:v1:*')).length === 1);
      // ...and neither replica serves it.
      expect(await b.run(input, async () => 'new')).toBe('new');
      await until(async () => (await client.mget(await client.keys('late:switchyard:v1:*'))).some((v) => v?.includes('"new"')));
      expect(await a.run(input, async () => 'newer')).toBe('new');
    } finally {
      await storeB.close();
    }
  });

  it('keeps one entry per principal in Redis, under hashed keys, with the TTL set', async () => {
    const dedup = createDedup({ store: redisStore({ client, prefix: 'keys:' }), ttlMs: 60_000, namespace: 'bff' });
    for (const principal of ['alice@example.com', 'bob@example.com']) {
      await dedup.run({ operation: 'report', principal, data: { id: 7 } }, async () => principal.length);
    }
    await until(async () => (await client.keys('keys:bff:v1:*')).length === 2);
    const keys = await client.keys('keys:bff:v1:*');
    expect(keys).toHaveLength(2);
    expect(keys.join(' ')).not.toMatch(/alice|bob|example/);
    for (const key of keys) expect(await client.pttl(key)).toBeGreaterThan(50_000);
    await dedup.invalidate({ operation: 'report', data: { id: 7 } });
    expect(await client.keys('keys:bff:v1:*')).toEqual([]);
    // What is left is the new generation of the params scope, hashed like the entries.
    const generations = await client.keys('keys:*');
    expect(generations).toEqual([expect.stringMatching(/^keys:bff:g1:report:[0-9a-f]{32}:$/)]);
  });
});
