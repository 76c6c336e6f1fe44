import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { redisStore, type RedisStore } from '../../src/stores/redis/index.js';
import { createManualClock } from '../../src/testing/index.js';
import { startRedisServer, useRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { storeConformance } from '../stores/store.cases.js';

const redis = useRedisServer();
let server: RedisServer;
let client: Redis;
beforeAll(() => {
  ({ server, client } = redis);
});
let run = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// ioredis's disconnect() between reconnect attempts starts a `disconnectTimeout` timer (2 s by
// default) for a socket that is already closed; keep it short so the leak check stays exact.
const quickDisconnect = { disconnectTimeout: 10 };

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

  it('rejects when commandTimeoutMs passes and Redis has not answered', async () => {
    const clock = createManualClock(0);
    const store = redisStore({ client, prefix: 'slow:', commandTimeoutMs: 50, clock });
    await client.call('CLIENT', 'PAUSE', '300', 'ALL');
    let settled = false;
    const get = store.get('k').finally(() => (settled = true));
    get.catch(() => {});
    await sleep(20);
    expect(settled).toBe(false);
    clock.advance(50);
    await expect(get).rejects.toThrow('Redis GET did not answer within 50 ms');
    await sleep(300);
  });

  it('creates its own fail-fast client from a URL, is ready once connected, and ends it on close', async () => {
    const store: RedisStore = redisStore({ url: server.url, prefix: 'owned:' });
    await store.ready();
    await store.set('k', 'v', { ttlMs: 10_000 });
    expect(await store.get('k')).toBe('v');
    await store.close();
    await expect(store.get('k')).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    await expect(store.ready()).rejects.toThrow('The Redis store is closed');
  });

  it('answers the first commands of a just-created store once it connects, without ready()', async () => {
    await client.set('first:k', 'shared');
    // Wide timeouts: on a loaded machine the connection may take a while; nothing must fail for it.
    const store = redisStore({ url: server.url, prefix: 'first:', commandTimeoutMs: 10_000 });
    try {
      expect(await Promise.all([store.get('k'), store.get('k')])).toEqual(['shared', 'shared']);
    } finally {
      await store.close();
    }
  });

  it('bounds a first command by commandTimeoutMs while Redis cannot be reached', async () => {
    const clock = createManualClock(0);
    const unreachable = await startRedisServer();
    await unreachable.dispose();
    const store = redisStore({ url: unreachable.url, commandTimeoutMs: 100, clock, redisOptions: quickDisconnect });
    try {
      const get = store.get('k');
      get.catch(() => {});
      await sleep(20);
      clock.advance(100);
      await expect(get).rejects.toThrow('Redis GET did not answer within 100 ms (not connected yet)');
    } finally {
      await store.close();
    }
  });

  it('stops waiting in ready() when its signal aborts, and when the store is closed', async () => {
    const unreachable = await startRedisServer();
    await unreachable.dispose();
    const store = redisStore({ url: unreachable.url, redisOptions: quickDisconnect });
    const controller = new AbortController();
    const waiting = store.ready({ signal: controller.signal });
    const untilClosed = store.ready();
    controller.abort(new Error('startup budget spent'));
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED', message: 'Stopped waiting for Redis' });
    await store.close();
    await expect(untilClosed).rejects.toThrow('The Redis store is closed');
  });

  it('is ready at once with a connected client of yours', async () => {
    await expect(redisStore({ client }).ready()).resolves.toBeUndefined();
  });

  it('refuses a ready() signal that is not an AbortSignal', async () => {
    await expect(redisStore({ client }).ready({ signal: 'soon' as never })).rejects.toThrow('Expected `signal` to be an AbortSignal');
  });

  it('fails a command while Redis is down without queueing it or waiting for its timer', async () => {
    // Timers on this clock never fire: a rejection can only come from the client failing fast.
    const clock = createManualClock(0);
    const store = redisStore({ url: server.url, prefix: 'down:', commandTimeoutMs: 2_000, clock, redisOptions: quickDisconnect });
    await store.ready();
    await server.stop();
    try {
      await expect(store.get('k')).rejects.toThrow(/Stream isn't writeable|Connection is closed/);
      expect(clock.pending()).toBe(0);
    } finally {
      await store.close();
      await server.restart();
      // The shared client reconnects on its own.
      // ioredis waits up to 2 s between reconnect attempts: allow several.
      for (let i = 0; i < 500 && client.status !== 'ready'; i += 1) await sleep(20);
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
    expect(() => redisStore({})).toThrow('Expected exactly one of `client`, `url` and `cluster`, got none');
    expect(() => redisStore({ client, url: server.url })).toThrow('got `client` and `url`');
    expect(() => redisStore({ url: server.url, cluster: [server.url] })).toThrow('got `url` and `cluster`');
    expect(() => redisStore({ cluster: [] })).toThrow('cluster');
    expect(() => redisStore({ cluster: ['127.0.0.1:7000'] })).toThrow('a redis:// or rediss:// URL');
  });
});
