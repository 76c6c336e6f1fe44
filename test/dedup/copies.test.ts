import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDedup } from '../../src/dedup/index.js';
import { deferred, flush } from './_support.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});

const input = { operation: 'getTeam', principal: 'alice', data: { id: 't1' } };

describe('every caller gets its own result', () => {
  it('gives each joiner its own copy, so one caller mutating its result never changes another', async () => {
    const dedup = createDedup();
    const gate = deferred<void>();
    let executions = 0;
    const execute = async () => {
      executions += 1;
      await gate.promise;
      return { members: ['ann', 'bob'] };
    };
    const first = dedup.run(input, execute);
    const second = dedup.run(input, execute);
    await flush();
    gate.resolve();
    const [a, b] = await Promise.all([first, second]);
    a.members.push('eve');
    expect(b).toEqual({ members: ['ann', 'bob'] });
    expect(executions).toBe(1);
  });

  it('gives each cache hit its own copy, by the same rule as joiners', async () => {
    const dedup = createDedup({ ttlMs: 10_000 });
    const execute = async () => ({ members: ['ann'] });
    const first = await dedup.run(input, execute);
    first.members.push('eve');
    const hit = await dedup.run(input, execute);
    hit.members.push('mallory');
    expect(await dedup.run(input, execute)).toEqual({ members: ['ann'] });
  });

  it('runs a joiner afresh when the shared result is not plain data and so cannot be copied', async () => {
    const bypasses: string[] = [];
    const dedup = createDedup({ on: { bypass: (state) => bypasses.push(state.reason) } });
    const gate = deferred<void>();
    let executions = 0;
    const execute = async () => {
      executions += 1;
      await gate.promise;
      return { at: new Date(0), n: executions };
    };
    const first = dedup.run(input, execute);
    const second = dedup.run(input, execute);
    await flush();
    gate.resolve();
    const [a, b] = await Promise.all([first, second]);
    expect(a).not.toBe(b);
    expect([a.n, b.n]).toEqual([1, 2]);
    expect(bypasses).toEqual(['not-copyable']);
  });

  it('lets a joiner that runs afresh still leave with its own abort, aborting its fresh run', async () => {
    const dedup = createDedup();
    const gate = deferred<void>();
    const signals: AbortSignal[] = [];
    const execute = async (signal: AbortSignal) => {
      signals.push(signal);
      if (signals.length === 1) {
        await gate.promise;
        return new Map([['n', 1]]);
      }
      return new Promise<Map<string, number>>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    };
    const controller = new AbortController();
    const first = dedup.run(input, execute);
    const joiner = dedup.run({ ...input, signal: controller.signal }, execute);
    await flush();
    gate.resolve();
    await first;
    await flush();
    expect(signals).toHaveLength(2);
    controller.abort(new Error('client left'));
    await expect(joiner).rejects.toMatchObject({ code: 'ABORTED' });
    expect(signals[1]?.aborted).toBe(true);
  });

  it('uses the copy function of the call that started the execution, and runs a joiner afresh when it throws', async () => {
    const dedup = createDedup();
    const gate = deferred<void>();
    let executions = 0;
    const execute = async () => {
      executions += 1;
      await gate.promise;
      return { at: new Date(executions) };
    };
    const copy = (value: unknown) => ({ at: new Date((value as { at: Date }).at.getTime()) });
    const first = dedup.run({ ...input, copy }, execute);
    const second = dedup.run({ ...input, copy }, execute);
    await flush();
    gate.resolve();
    const [a, b] = await Promise.all([first, second]);
    expect(a).not.toBe(b);
    expect(b.at.getTime()).toBe(1);
    expect(executions).toBe(1);

    const third = dedup.run({ ...input, copy: () => { throw new Error('cannot'); } }, execute);
    const fourth = dedup.run(input, execute);
    const gate2 = Promise.all([third, fourth]);
    await flush();
    const [c, d] = await gate2;
    expect([c.at.getTime(), d.at.getTime()]).toEqual([2, 3]);
  });
});
