import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFanout, mergeAll, staticRouter, type FinishState, type InstanceRouter } from '../../src/index.js';
import { expectNothingLeft, ok, scripted, seedInstances } from '../_support/instances.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function observed(router: InstanceRouter, options: { deadlineMs?: number } = {}) {
  const finishes: FinishState[] = [];
  const fanout = createFanout({ router, on: { finish: (state) => finishes.push(state) }, ...options });
  return { fanout, finishes };
}

async function outcome(promise: Promise<unknown>): Promise<unknown> {
  promise.catch(() => {});
  await vi.advanceTimersByTimeAsync(20_000);
  return promise.then(() => 'resolved', (error: unknown) => error);
}

const { worker } = scripted<string[]>({ '*': ok(['g']) });

describe('on.finish', () => {
  it('fires once when the router chooses no instance', async () => {
    const { fanout, finishes } = observed(staticRouter([]));
    const result = await outcome(fanout.run({ operation: 'search', data: {}, context: {}, worker, strategy: mergeAll() }));
    expect(result).toMatchObject({ code: 'NO_INSTANCES' });
    expect(finishes.map((f) => [f.report.finishedBy, (f.error as { code?: string }).code])).toEqual([['no-instances', 'NO_INSTANCES']]);
    expectNothingLeft();
  });

  it('fires once when the deadline passes while routing', async () => {
    const slowRouter: InstanceRouter = { route: () => new Promise((resolve) => setTimeout(() => resolve(seedInstances), 5000)) };
    const { fanout, finishes } = observed(slowRouter, { deadlineMs: 1000 });
    const result = await outcome(fanout.run({ operation: 'search', data: {}, context: {}, worker, strategy: mergeAll() }));
    expect(result).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(finishes.map((f) => f.report.finishedBy)).toEqual(['deadline']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fires once when the caller signal is already aborted', async () => {
    const { fanout, finishes } = observed(staticRouter(seedInstances));
    const result = await outcome(fanout.run({ operation: 'search', data: {}, context: {}, worker, strategy: mergeAll(), signal: AbortSignal.abort() }));
    expect(result).toMatchObject({ code: 'ABORTED' });
    expect(finishes.map((f) => f.report.finishedBy)).toEqual(['aborted']);
    expectNothingLeft();
  });

  it('fires once when the router throws', async () => {
    const { fanout, finishes } = observed({ route: () => { throw new Error('db down'); } });
    await outcome(fanout.run({ operation: 'search', data: {}, context: {}, worker, strategy: mergeAll() }));
    expect(finishes.map((f) => f.report.finishedBy)).toEqual(['failed']);
  });

  it('fires once for a call that succeeds, without an error', async () => {
    const { fanout, finishes } = observed(staticRouter(seedInstances));
    await outcome(fanout.run({ operation: 'search', data: {}, context: {}, worker, strategy: mergeAll() }));
    expect(finishes).toHaveLength(1);
    expect(finishes[0]?.error).toBeUndefined();
    expect(finishes[0]?.report.finishedBy).toBe('all-settled');
  });
});
