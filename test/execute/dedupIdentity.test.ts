import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFanout, firstSuccess, mergeAll, staticRouter, type Instance, type WorkerCall } from '../../src/index.js';
import { seedInstances } from '../_support/instances.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});

type Ctx = { user: string };

function counting<T>(answer: (instance: Instance) => T) {
  let calls = 0;
  const worker = async (instance: Instance, _call: WorkerCall<unknown, Ctx>) => {
    calls += 1;
    // Answers a few microtasks later: every identical call made in the same tick joins this one.
    for (let i = 0; i < 5; i += 1) await Promise.resolve();
    return answer(instance);
  };
  return { worker, calls: () => calls };
}

const fanoutOf = () => createFanout<unknown, Ctx>({ router: staticRouter(seedInstances), principal: (ctx) => ctx.user, dedup: { ttlMs: 30_000 } });

describe('dedup identity in a fanout', () => {
  it('rejects a second operation with a name already defined on the same fanout, naming it', () => {
    const fanout = fanoutOf();
    fanout.operation({ name: 'getTeam', worker: counting(() => ({ id: 't' })).worker, strategy: firstSuccess() });
    expect(() => fanout.operation({ name: 'getTeam', worker: counting(() => ['x']).worker, strategy: mergeAll() })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringContaining('`getTeam`') }),
    );
  });

  it('rejects a run that reuses a defined operation name with another worker', async () => {
    const fanout = fanoutOf();
    const defined = counting(() => ({ id: 't' }));
    const getTeam = fanout.operation({ name: 'getTeam', worker: defined.worker, strategy: firstSuccess() });
    await getTeam({}, { user: 'alice' });
    const other = counting(() => ['a', 'b']);
    await expect(fanout.run({ operation: 'getTeam', data: {}, context: { user: 'alice' }, worker: other.worker, strategy: mergeAll() })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
    expect(other.calls()).toBe(0);
  });

  it('shares identical concurrent collect calls', async () => {
    const fanout = fanoutOf();
    const { worker, calls } = counting((instance) => [instance.id]);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => fanout.collect({ operation: 'search', data: { q: 'x' }, context: { user: 'alice' }, worker })),
    );
    expect(calls()).toBe(3);
    expect(results.every((r) => r.successes.length === 3)).toBe(true);
    expect(new Set(results).size).toBe(10);
  });

  it('shares identical concurrent runDetailed calls, each caller with its own report', async () => {
    const fanout = fanoutOf();
    const { worker, calls } = counting((instance) => [instance.id]);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => fanout.runDetailed({ operation: 'search', data: { q: 'x' }, context: { user: 'alice' }, worker, strategy: mergeAll() })),
    );
    expect(calls()).toBe(3);
    expect(results[0]?.value).toEqual(['cloud', 'enterprise-acme', 'enterprise-conf']);
    expect(results[1]?.report).not.toBe(results[0]?.report);
    expect(results[1]?.report).toEqual(results[0]?.report);
  });

  it('never answers collect or runDetailed from the result cache of run', async () => {
    const fanout = fanoutOf();
    const { worker, calls } = counting((instance) => [instance.id]);
    await fanout.run({ operation: 'search', data: { q: 'x' }, context: { user: 'alice' }, worker, strategy: mergeAll() });
    const responses = await fanout.collect({ operation: 'search', data: { q: 'x' }, context: { user: 'alice' }, worker });
    expect(responses.successes).toHaveLength(3);
    expect(calls()).toBe(6);
  });

  it('gives callers who joined one run their own copies', async () => {
    const fanout = fanoutOf();
    const { worker } = counting((instance) => ({ id: instance.id, tags: ['a'] }));
    const getTeam = fanout.operation({ name: 'getTeam', worker, strategy: firstSuccess() });
    const [a, b] = await Promise.all([getTeam({ id: 1 }, { user: 'alice' }), getTeam({ id: 1 }, { user: 'alice' })]);
    a.tags.push('mutated');
    expect(b.tags).toEqual(['a']);
  });

  it('shares collect calls even when an instance failed, each caller with its own outcomes and data', async () => {
    const fanout = fanoutOf();
    let calls = 0;
    const worker = async (instance: Instance) => {
      calls += 1;
      for (let i = 0; i < 5; i += 1) await Promise.resolve();
      if (instance.id === 'enterprise-conf') throw new Error('down');
      return { rows: [instance.id] };
    };
    const [a, b] = await Promise.all(
      [1, 2].map(() => fanout.collect({ operation: 'search', data: { q: 'x' }, context: { user: 'alice' }, worker, retry: false })),
    );
    expect(calls).toBe(3);
    expect(a?.errors).toHaveLength(1);
    a!.successes[0]!.data.rows.push('mutated');
    a!.all.length = 0;
    expect(b?.successes.map((o) => o.data.rows)).toEqual([['cloud'], ['enterprise-acme']]);
    expect(b?.all).toHaveLength(3);
  });
});
