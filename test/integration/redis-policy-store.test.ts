import { Redis } from 'ioredis';
import { expect, test } from 'vitest';
import { redisPolicyBackend, type RedisPolicyBackend } from '../../src/stores/redis/index.js';
import { createPolicyStore } from '../../src/routing/index.js';
import { useRedisServer } from '../helpers/redis-server.js';
import { policyStoreCases, v1, v2 } from '../routing/policy/policyStore.cases.js';

const redis = useRedisServer();
let counter = 0;
const prefixes = new WeakMap<object, string>();

policyStoreCases('redis', {
  async create() {
    const prefix = `t${++counter}:`;
    const backend = redisPolicyBackend({ url: redis.server.url, prefix });
    prefixes.set(backend, prefix);
    return backend;
  },
  async reopen(backend) {
    const prefix = prefixes.get(backend)!;
    const reopened = redisPolicyBackend({ url: redis.server.url, prefix });
    prefixes.set(reopened, prefix);
    return reopened;
  },
});

test('redis: with a client you pass, the backend closes only the subscription it duplicated', async () => {
  const client = new Redis(redis.server.url, { lazyConnect: true });
  await client.connect();
  const backend = redisPolicyBackend({ client, prefix: 'own:' });
  const store = createPolicyStore({ store: backend, env: {}, syncIntervalMs: false });
  await store.activate((await store.propose(v1)).version);
  await store.close();
  await backend.close();
  expect(client.status).toBe('ready');
  expect(await client.get('own:policy:revision')).toBe('2');
  await client.quit();
});

test('redis: with Redis down, replicas keep serving the version they have; after it returns they converge', async () => {
  const prefix = 'down:';
  const errors: unknown[] = [];
  const backends: RedisPolicyBackend[] = [];
  const open = (replica: string) => {
    const backend = redisPolicyBackend({ url: redis.server.url, prefix, on: { connectionError: () => {} } });
    backends.push(backend);
    return createPolicyStore({ store: backend, env: {}, replica, syncIntervalMs: 50, on: { syncError: ({ error }) => errors.push(error) } });
  };
  const one = open('one');
  const two = open('two');
  await one.activate((await one.propose(v1)).version);
  await expect.poll(() => two.active()?.version, { timeout: 5_000 }).toBe(1);
  await redis.server.stop();
  await expect.poll(() => errors.length, { timeout: 5_000 }).toBeGreaterThan(0);
  expect(one.active()!.version).toBe(1);
  expect(two.active()!.version).toBe(1);
  await redis.server.restart();
  // The restarted server has no data: a writer starts again from version 1 and the replicas follow.
  await expect.poll(async () => {
    try {
      await one.activate((await one.propose(v2)).version);
      return true;
    } catch {
      return false;
    }
  }, { timeout: 10_000, interval: 100 }).toBe(true);
  await expect.poll(() => two.active()?.checksum, { timeout: 10_000 }).toBe(one.active()!.checksum);
  await Promise.all([one.close(), two.close()]);
  await Promise.all(backends.map((b) => b.close()));
  // The shared client of useRedisServer reconnects on its own after the restart.
  await expect.poll(() => redis.client.status, { timeout: 5_000 }).toBe('ready');
});
