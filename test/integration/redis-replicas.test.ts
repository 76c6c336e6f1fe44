/**
 * Two BFF replicas (child processes) sharing one real redis-server through redisStore: a result
 * cached by one is served by the other; with Redis stopped both keep answering from their own
 * execution; when Redis is back, sharing resumes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { leftoverResourcesSettled } from '../_support/resources.js';

interface Answer {
  id: number;
  value: { servedBy: string; execution: number; principal?: string };
  events: string[];
  ms: number;
}

interface Replica {
  name: string;
  call(operation: string, principal: string | undefined, params: unknown): Promise<Answer>;
  stop(): Promise<void>;
}

const script = fileURLToPath(new URL('../dedup/fixtures/replica.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function startReplica(name: string, url: string): Promise<Replica> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, REDIS_URL: url, REPLICA: name },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const pending = new Map<number, (answer: Answer) => void>();
  let nextId = 0;
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`replica ${name} exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as Answer | { ready: string };
      if ('ready' in message) {
        resolve({
          name,
          call(operation, principal, params) {
            const id = ++nextId;
            child.stdin!.write(`${JSON.stringify({ id, operation, principal, params })}\n`);
            return new Promise((done) => pending.set(id, done));
          },
          async stop() {
            const exited = new Promise((done) => child.once('exit', done));
            child.stdin!.end();
            await exited;
          },
        });
        return;
      }
      pending.get(message.id)?.(message);
      pending.delete(message.id);
    });
  });
}

let server: RedisServer;
let a: Replica;
let b: Replica;
let resourcesBefore: string[];

beforeAll(async () => {
  resourcesBefore = process.getActiveResourcesInfo();
  server = await startRedisServer();
  [a, b] = await Promise.all([startReplica('A', server.url), startReplica('B', server.url)]);
  // A fresh machine may first install redis-server with apt-get (see findRedisServer).
}, 600_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await server?.dispose();
  expect(await leftoverResourcesSettled(resourcesBefore)).toEqual([]);
});

describe('two replicas sharing one redis-server', () => {
  it('serves a result cached through one replica from the other', async () => {
    const first = await a.call('getReport', 'alice', { id: 1 });
    const second = await b.call('getReport', 'alice', { id: 1 });
    expect(first.value).toEqual({ servedBy: 'A', execution: 1, principal: 'alice' });
    expect(second.value).toEqual(first.value);
    expect(second.events).toEqual(['hit']);
  });

  it('serves the first call of a replica started next to a warm Redis from the shared cache', async () => {
    const warm = await a.call('getReport', 'carol', { id: 1 });
    const c = await startReplica('C', server.url);
    try {
      const first = await c.call('getReport', 'carol', { id: 1 });
      expect(first.events).toEqual(['hit']);
      expect(first.value).toEqual(warm.value);
    } finally {
      await c.stop();
    }
  });

  it('never serves another principal the shared result', async () => {
    const bob = await b.call('getReport', 'bob', { id: 1 });
    expect(bob.value).toMatchObject({ servedBy: 'B', principal: 'bob' });
    expect(bob.events).toEqual(['miss']);
  });

  it('keeps both replicas answering from their own execution while Redis is stopped', async () => {
    await server.stop();
    const fromA = await a.call('getReport', 'alice', { id: 2 });
    const fromB = await b.call('getReport', 'alice', { id: 2 });
    expect(fromA.value.servedBy).toBe('A');
    expect(fromB.value.servedBy).toBe('B');
    // Each answered from its own execution after the store failed (refused, or at its timeout).
    for (const answer of [fromA, fromB]) expect(answer.events.some((e) => e.startsWith('store-error:get'))).toBe(true);
    // Still answering while the store is skipped (no wait on it at all).
    const again = await b.call('getReport', 'alice', { id: 2 });
    expect(again.value.servedBy).toBe('B');
  });

  it('shares again once Redis is back', async () => {
    await server.restart();
    let shared: Answer | undefined;
    for (let round = 0; round < 100 && !shared; round += 1) {
      await a.call('getReport', 'alice', { id: 3, round });
      const fromB = await b.call('getReport', 'alice', { id: 3, round });
      if (fromB.value.servedBy === 'A') shared = fromB;
      else await sleep(100);
    }
    expect(shared?.events).toEqual(['hit']);
  });
});
