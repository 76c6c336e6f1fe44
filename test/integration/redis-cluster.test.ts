/**
 * The Redis store on a real 3-master Redis Cluster on 127.0.0.1: the conformance suite, prefix
 * deletes across masters, results shared between replicas, and with one master killed calls keep
 * answering from their own execution until the cluster heals and the store is used again.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDedup } from '../../src/dedup/index.js';
import { redisStore, type RedisStore } from '../../src/stores/redis/index.js';
import { leftoverResourcesSettled } from '../_support/resources.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { storeConformance } from '../stores/store.cases.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: RedisCluster;
let before: string[];
const stores: RedisStore[] = [];
let prefixes = 0;

/** A store on the cluster with timeouts far above a loopback round trip; closed after each test. */
async function clusterStore(prefix: string): Promise<RedisStore> {
  const store = redisStore({ cluster: cluster.urls, prefix, commandTimeoutMs: 5_000, redisOptions: { disconnectTimeout: 10 } });
  stores.push(store);
  await store.ready({ signal: AbortSignal.timeout(20_000) });
  return store;
}

/** Plain clients on each master, to see where keys live. */
async function onEachMaster<T>(command: (node: Redis) => Promise<T>): Promise<T[]> {
  const nodes = cluster.urls.map((url) => new Redis(url, { lazyConnect: true, enableOfflineQueue: false }));
  try {
    await Promise.all(nodes.map((node) => node.connect()));
    return await Promise.all(nodes.map(command));
  } finally {
    await Promise.all(nodes.map((node) => node.quit()));
  }
}

beforeAll(async () => {
  before = process.getActiveResourcesInfo();
  cluster = await startRedisCluster();
}, 60_000);

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

afterAll(async () => {
  await cluster?.dispose();
  expect(await leftoverResourcesSettled(before)).toEqual([]);
});

storeConformance('redisStore on a Redis Cluster', async () => {
  prefixes += 1;
  return { store: await clusterStore(`conf${prefixes}:`), advance: async (ms) => void (await sleep(ms)) };
});

describe('redisStore on a 3-master Redis Cluster', () => {
  it('spreads keys over every master and deletes a prefix from all of them', async () => {
    const store = await clusterStore('spread:');
    for (let i = 0; i < 60; i += 1) await store.set(`op:${i}`, 'v', { ttlMs: 60_000 });
    await store.set('other:1', 'kept', { ttlMs: 60_000 });
    const counts = await onEachMaster(async (node) => (await node.keys('spread:op:*')).length);
    expect(counts.every((count) => count > 0)).toBe(true);
    expect(counts.reduce((a, b) => a + b)).toBe(60);
    await store.deletePrefix('op:');
    expect(await onEachMaster(async (node) => (await node.keys('spread:op:*')).length)).toEqual([0, 0, 0]);
    expect(await store.get('other:1')).toBe('kept');
  });

  it('shares a result between two replicas and drops it for both on invalidation', async () => {
    const [a, b] = await Promise.all([clusterStore('share:'), clusterStore('share:')]);
    const replicaA = createDedup({ store: a, ttlMs: 60_000, storeTimeoutMs: 5_000 });
    const replicaB = createDedup({ store: b, ttlMs: 60_000, storeTimeoutMs: 5_000 });
    const input = { operation: 'report', principal: 'alice', data: { id: 1 } };
    expect(await replicaA.run(input, async () => 'from A')).toBe('from A');
    // A's write is not awaited by its caller: ask until it has landed.
    let fromB = await replicaB.run(input, async () => 'from B');
    for (let i = 0; i < 100 && fromB !== 'from A'; i += 1) {
      await sleep(20);
      fromB = await replicaB.run(input, async () => 'from B');
    }
    expect(fromB).toBe('from A');
    await replicaB.invalidate({ operation: 'report' });
    expect(await replicaA.run(input, async () => 'fresh')).toBe('fresh');
  });

  it('keeps answering with one master killed, then uses the cluster again once it heals', async () => {
    const [a, b] = await Promise.all([clusterStore('heal:'), clusterStore('heal:')]);
    const errors: string[] = [];
    const options = { ttlMs: 60_000, storeTimeoutMs: 2_000, storeRetryMs: 100, on: { storeError: (s: { phase: string }) => errors.push(s.phase) } };
    const replicaA = createDedup({ store: a, ...options });
    const replicaB = createDedup({ store: b, ...options });
    await cluster.kill(1);
    try {
      // Many params, so that keys fall on the dead master's slots and on the live ones.
      for (let id = 0; id < 20; id += 1) {
        const input = { operation: 'report', principal: 'alice', data: { id } };
        expect(await replicaA.run(input, async () => `A${id}`)).toMatch(/^[AB]\d+$/);
        expect(await replicaB.run(input, async () => `B${id}`)).toMatch(/^[AB]\d+$/);
      }
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      await cluster.revive(1);
    }
    let shared = false;
    for (let round = 0; round < 300 && !shared; round += 1) {
      const input = { operation: 'report', principal: 'alice', data: { round } };
      await replicaA.run(input, async () => 'from A');
      await sleep(20);
      shared = (await replicaB.run(input, async () => 'from B')) === 'from A';
      if (!shared) await sleep(80);
    }
    expect(shared).toBe(true);
  }, 90_000);
});
