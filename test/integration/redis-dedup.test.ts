/** createDedup over a real redis-server in one process: a slow Redis is waited on only briefly. */
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDedup, type StoreErrorState } from '../../src/dedup/index.js';
import { redisStore } from '../../src/stores/redis/index.js';
import { useRedisServer, type RedisServer } from '../helpers/redis-server.js';

const redis = useRedisServer();
let server: RedisServer;
let client: Redis;
beforeAll(() => {
  ({ server, client } = redis);
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('dedup over a real Redis', () => {
  it('answers from execute within about storeTimeoutMs when Redis stalls, and reports the timeout', async () => {
    const errors: StoreErrorState[] = [];
    const dedup = createDedup({
      store: redisStore({ client, prefix: 'stall:' }),
      ttlMs: 10_000,
      storeTimeoutMs: 50,
      on: { storeError: (s) => errors.push(s) },
    });
    await client.call('CLIENT', 'PAUSE', '500', 'ALL');
    const started = performance.now();
    const value = await dedup.run({ operation: 'report', principal: 'alice', params: { id: 1 } }, async () => 'fresh');
    const elapsed = performance.now() - started;
    expect(value).toBe('fresh');
    expect(elapsed).toBeLessThan(300);
    expect(errors[0]).toMatchObject({ phase: 'get', timedOut: true });
    await sleep(550);
  });

  it('keeps one entry per principal in Redis, under hashed keys, with the TTL set', async () => {
    const dedup = createDedup({ store: redisStore({ client, prefix: 'keys:' }), ttlMs: 10_000, namespace: 'bff' });
    for (const principal of ['alice@example.com', 'bob@example.com']) {
      await dedup.run({ operation: 'report', principal, params: { id: 7 } }, async () => principal.length);
    }
    await sleep(20);
    const keys = await client.keys('keys:*');
    expect(keys).toHaveLength(2);
    expect(keys.join(' ')).not.toMatch(/alice|bob|example/);
    for (const key of keys) expect(await client.pttl(key)).toBeGreaterThan(9_000);
    await dedup.invalidate({ operation: 'report', params: { id: 7 } });
    expect(await client.keys('keys:*')).toEqual([]);
  });
});
