import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { redisStore, type RedisStore } from '../../src/stores/redis/index.js';
import { useRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { storeConformance } from '../stores/store.cases.js';

const redis = useRedisServer();
let server: RedisServer;
let client: Redis;
beforeAll(() => {
  ({ server, client } = redis);
});
let run = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Each test gets its own key prefix, so tests never see each other's keys.
storeConformance('redisStore', async () => {
  run += 1;
  return { store: redisStore({ client, prefix: `conf${run}:` }), advance: async (ms) => { await sleep(ms); } };
});

describe('redisStore on a real redis-server', () => {
  it('refuses to delete every key of the database when neither it nor the call has a prefix', async () => {
    await client.set('someone-else:key', 'kept');
    const store = redisStore({ client });
    await expect(store.deletePrefix('')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await client.get('someone-else:key')).toBe('kept');
  });

  it('keeps the TTL in Redis itself', async () => {
    const store = redisStore({ client, prefix: 'ttl:' });
    await store.set('k', 'v', { ttlMs: 30_000 });
    const pttl = await client.pttl('ttl:k');
    expect(pttl).toBeGreaterThan(25_000);
    expect(pttl).toBeLessThanOrEqual(30_000);
  });

  it('rejects within commandTimeoutMs when Redis does not answer', async () => {
    const store = redisStore({ client, prefix: 'slow:', commandTimeoutMs: 50 });
    await client.call('CLIENT', 'PAUSE', '300', 'ALL');
    const started = performance.now();
    await expect(store.get('k')).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(performance.now() - started).toBeLessThan(250);
    await sleep(300);
  });

  it('creates its own fail-fast client from a URL and ends it on close', async () => {
    const store: RedisStore = redisStore({ url: server.url, prefix: 'owned:' });
    let connected = false;
    for (let i = 0; i < 50 && !connected; i += 1) {
      connected = await store.set('k', 'v', { ttlMs: 10_000 }).then(() => true, () => false);
      if (!connected) await sleep(20);
    }
    expect(await store.get('k')).toBe('v');
    await store.close();
    await expect(store.get('k')).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
  });

  it('fails a command at once while Redis is down, without queueing it', async () => {
    const store = redisStore({ url: server.url, prefix: 'down:', commandTimeoutMs: 2_000 });
    for (let i = 0; i < 50; i += 1) {
      if (await store.get('k').then(() => true, () => false)) break;
      await sleep(20);
    }
    await server.stop();
    try {
      const started = performance.now();
      await expect(store.get('k')).rejects.toBeDefined();
      expect(performance.now() - started).toBeLessThan(500);
    } finally {
      await store.close();
      await server.restart();
      // The shared client reconnects on its own.
      for (let i = 0; i < 100 && client.status !== 'ready'; i += 1) await sleep(20);
    }
    expect(client.status).toBe('ready');
  });

  it('deletes by prefix through a client that has an ioredis keyPrefix', async () => {
    const prefixed = new Redis(server.url, { keyPrefix: 'app:', enableOfflineQueue: false, lazyConnect: true });
    await prefixed.connect();
    try {
      const store = redisStore({ client: prefixed, prefix: 'kp:' });
      await store.set('op:1', 'v', { ttlMs: 10_000 });
      await store.set('keep', 'v', { ttlMs: 10_000 });
      expect(await client.exists('app:kp:op:1')).toBe(1);
      await store.deletePrefix('op:');
      expect(await store.get('op:1')).toBeUndefined();
      expect(await store.get('keep')).toBe('v');
    } finally {
      await prefixed.quit();
    }
  });

  it('requires exactly one of client and url', () => {
    expect(() => redisStore({})).toThrow('Expected exactly one of `client` and `url`, got neither');
    expect(() => redisStore({ client, url: server.url })).toThrow('got both');
  });
});
