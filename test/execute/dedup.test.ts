import { describe, expect, it } from 'vitest';
import { createFanout, mergeAll, staticRouter, type Instance, type WorkerCall } from '../../src/index.js';
import { seedInstances } from '../_support/instances.js';

type Ctx = { user?: string };
type Data = { q: string };

function countingWorker() {
  const calls = new Map<string, number>();
  const worker = async (instance: Instance, call: WorkerCall<Data, Ctx>) => {
    calls.set(instance.id, (calls.get(instance.id) ?? 0) + 1);
    await new Promise((r) => setTimeout(r, 5));
    return [`${instance.id}:${call.context.user ?? 'anon'}:${call.data.q}`];
  };
  return { worker, calls };
}

describe('dedup in a fanout', () => {
  it('makes 1,000 concurrent identical calls cost one worker call per instance, and the next a cache hit', async () => {
    const { worker, calls } = countingWorker();
    const fanout = createFanout<Data, Ctx>({
      router: staticRouter(seedInstances),
      principal: (ctx) => ctx.user,
      dedup: { ttlMs: 30_000 },
    });
    const search = fanout.operation({ name: 'searchGroups', worker, strategy: mergeAll() });
    const results = await Promise.all(Array.from({ length: 1000 }, () => search({ q: 'eng' }, { user: 'alice' })));
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect([...calls.values()]).toEqual([1, 1, 1]);
    const again = await search({ q: 'eng' }, { user: 'alice' });
    expect(again).toEqual(results[0]);
    expect([...calls.values()]).toEqual([1, 1, 1]);
  });

  it('never gives one principal the result of another, across 500 interleaved calls each', async () => {
    const { worker } = countingWorker();
    const fanout = createFanout<Data, Ctx>({ router: staticRouter(seedInstances), principal: (ctx) => ctx.user, dedup: { ttlMs: 30_000 } });
    const search = fanout.operation({ name: 'searchGroups', worker, strategy: mergeAll() });
    const calls = Array.from({ length: 1000 }, (_, i) => {
      const user = i % 2 === 0 ? 'alice' : 'bob';
      return search({ q: 'eng' }, { user }).then((result) => ({ user, result }));
    });
    for (const { user, result } of await Promise.all(calls)) {
      expect(result.every((item) => item.includes(`:${user}:`))).toBe(true);
    }
  });

  it('does not share calls that have no principal', async () => {
    const { worker, calls } = countingWorker();
    const bypassed: string[] = [];
    const fanout = createFanout<Data, Ctx>({
      router: staticRouter(seedInstances),
      principal: (ctx) => ctx.user,
      dedup: { ttlMs: 30_000, on: { bypass: (s) => bypassed.push(s.operation) } },
    });
    const search = fanout.operation({ name: 'searchGroups', worker, strategy: mergeAll() });
    await Promise.all([search({ q: 'eng' }, {}), search({ q: 'eng' }, {})]);
    expect([...calls.values()]).toEqual([2, 2, 2]);
    expect(bypassed).toEqual(['searchGroups', 'searchGroups']);
  });

  it('shares calls with no principal when the operation says shared', async () => {
    const { worker, calls } = countingWorker();
    const fanout = createFanout<Data, Ctx>({ router: staticRouter(seedInstances), dedup: { ttlMs: 0 } });
    const search = fanout.operation({ name: 'publicCatalog', worker, strategy: mergeAll(), dedup: { shared: true } });
    await Promise.all([search({ q: 'x' }, {}), search({ q: 'x' }, {})]);
    expect([...calls.values()]).toEqual([1, 1, 1]);
  });

  it('calls the workers again after invalidate', async () => {
    const { worker, calls } = countingWorker();
    const fanout = createFanout<Data, Ctx>({ router: staticRouter(seedInstances), principal: (c) => c.user, dedup: { ttlMs: 30_000 } });
    const search = fanout.operation({ name: 'searchGroups', worker, strategy: mergeAll() });
    await search({ q: 'eng' }, { user: 'alice' });
    await fanout.invalidate({ operation: 'searchGroups' });
    await search({ q: 'eng' }, { user: 'alice' });
    expect([...calls.values()]).toEqual([2, 2, 2]);
  });

  it('invalidates the entry of one call of an operation keyed by dedup.key', async () => {
    const { worker, calls } = countingWorker();
    const fanout = createFanout<Data, Ctx>({ router: staticRouter(seedInstances), principal: (c) => c.user, dedup: { ttlMs: 30_000 } });
    const search = fanout.operation({ name: 'searchGroups', worker, strategy: mergeAll(), dedup: { key: (data) => data.q.trim() } });
    await search({ q: 'eng' }, { user: 'alice' });
    await search({ q: 'ops' }, { user: 'alice' });
    await fanout.invalidate({ operation: 'searchGroups', data: { q: 'eng' }, principal: 'alice' });
    await search({ q: ' eng ' }, { user: 'alice' });
    await search({ q: 'ops' }, { user: 'alice' });
    // 'eng' ran again after its invalidation; 'ops' is still served from the cache.
    expect([...calls.values()]).toEqual([3, 3, 3]);
  });

  it('keeps other waiters running when one caller aborts', async () => {
    const { worker } = countingWorker();
    const fanout = createFanout<Data, Ctx>({ router: staticRouter(seedInstances), principal: (c) => c.user, dedup: { ttlMs: 0 } });
    const search = fanout.operation({ name: 'searchGroups', worker, strategy: mergeAll() });
    const leaving = new AbortController();
    const first = search({ q: 'eng' }, { user: 'alice' }, { signal: leaving.signal });
    const second = search({ q: 'eng' }, { user: 'alice' });
    leaving.abort();
    await expect(first).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(second).resolves.toHaveLength(3);
  });
});
