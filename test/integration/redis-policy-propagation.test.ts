/**
 * An activation through Redis reaching a second process, measured over 100 activations; and a
 * replica whose subscription was cut during an activation converging when it reconnects.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { createPolicyStore } from '../../src/routing/index.js';
import { redisPolicyBackend } from '../../src/stores/redis/index.js';
import { useRedisServer } from '../helpers/redis-server.js';
import { v1, v2 } from '../routing/policy/policyStore.cases.js';

const redis = useRedisServer();
const script = fileURLToPath(new URL('../routing/policy/fixtures/policyReplica.ts', import.meta.url));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

test('100 activations reach a second process through Redis; p50 and p99 propagation are reported', async () => {
  const prefix = 'prop:';
  const child = spawn(process.execPath, ['--import', 'tsx', script, redis.server.url, prefix, 'child'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const waiters: ((line: { version?: number; at?: number; ready?: string }) => void)[] = [];
  const lines: { version?: number; at?: number; ready?: string }[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = JSON.parse(text) as { version?: number; at?: number; ready?: string };
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  const next = () => (lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise<{ version?: number; at?: number }>((r) => waiters.push(r)));

  const backend = redisPolicyBackend({ url: redis.server.url, prefix });
  const store = createPolicyStore({ store: backend, env: {}, replica: 'parent', syncIntervalMs: false });
  try {
    expect(await next()).toEqual({ ready: 'child' });
    const a = await store.propose(v1);
    const b = await store.propose(v2);
    const latencies: number[] = [];
    for (let i = 0; i < 100; i++) {
      const version = i % 2 === 0 ? a.version : b.version;
      const started = Date.now();
      await store.activate(version);
      const applied = await next();
      expect(applied.version).toBe(version);
      latencies.push(applied.at! - started);
    }
    latencies.sort((x, y) => x - y);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(`policy propagation over 100 activations: p50 ${p50} ms, p99 ${p99} ms, max ${latencies.at(-1)} ms`);
    expect(p99).toBeLessThan(1_000);
    const fleet = await store.replicas();
    expect(fleet.find((r) => r.replica === 'child')?.applied?.version).toBe(b.version);
  } finally {
    child.stdin!.end();
    await exited;
    await store.close();
    await backend.close();
  }
});

test('a replica whose subscription was cut during an activation converges when it reconnects', async () => {
  const prefix = 'cut:';
  const writerBackend = redisPolicyBackend({ url: redis.server.url, prefix });
  // The reader's connections come back only after 500 ms, so an activation can happen while it is away.
  const readerBackend = redisPolicyBackend({
    url: redis.server.url,
    prefix,
    redisOptions: { retryStrategy: () => 500 },
    on: { connectionError: () => {} },
  });
  const writer = createPolicyStore({ store: writerBackend, env: {}, replica: 'writer', syncIntervalMs: false });
  // No interval: only the subscription (and its reconnect) can bring the reader up to date.
  const reader = createPolicyStore({ store: readerBackend, env: {}, replica: 'reader', syncIntervalMs: false });
  try {
    await writer.activate((await writer.propose(v1)).version);
    await expect.poll(() => reader.active()?.version, { timeout: 5_000 }).toBe(1);
    const v2Record = await writer.propose(v2);
    // Cut every subscriber connection and activate while it is down: the message is lost.
    await redis.client.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await writer.activate(v2Record.version);
    expect(reader.active()?.version).toBe(1);
    await expect.poll(() => reader.active()?.version, { timeout: 10_000 }).toBe(2);
  } finally {
    await Promise.all([writer.close(), reader.close()]);
    await Promise.all([writerBackend.close(), readerBackend.close()]);
  }
});
