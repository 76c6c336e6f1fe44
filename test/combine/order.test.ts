import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFanout, mergeAll, partialWithWarnings, staticRouter, type Instance, type WorkerCall } from '../../src/index.js';
import { expectNothingLeft, StatusError, wait } from '../_support/instances.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const instances: Instance[] = [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }];
/** Answers in reverse router order: d first, a last. */
const latency: Record<string, number> = { a: 40, b: 30, c: 20, d: 10 };
const worker = async (instance: Instance, call: WorkerCall) => {
  await wait(latency[instance.id]!, call.signal);
  if (instance.id === 'c') throw new StatusError(503);
  if (instance.id === 'b') throw new StatusError(401);
  return [`${instance.id}1`, `${instance.id}2`];
};

async function drive<T>(promise: Promise<T>): Promise<T> {
  await vi.advanceTimersByTimeAsync(100);
  return promise;
}

describe('deterministic merges', () => {
  const fanout = createFanout({ router: staticRouter(instances), retry: false });

  it('mergeAll orders results by the router instance order, not by who answered first', async () => {
    const value = await drive(fanout.run({ operation: 'search', data: {}, context: {}, worker, strategy: mergeAll() }));
    expect(value).toEqual(['a1', 'a2', 'd1', 'd2']);
    expectNothingLeft();
  });

  it('mergeAll keeps settle order when asked', async () => {
    const value = await drive(fanout.run({ operation: 'search', data: {}, context: {}, worker, strategy: mergeAll({ order: 'settle' }) }));
    expect(value).toEqual(['d1', 'd2', 'a1', 'a2']);
  });

  it('partialWithWarnings orders data and warnings by the router instance order', async () => {
    const value = await drive(fanout.run({ operation: 'search', data: {}, context: {}, worker, strategy: partialWithWarnings() }));
    expect(value.data).toEqual(['a1', 'a2', 'd1', 'd2']);
    expect(value.warnings.map((w) => [w.instance, w.category])).toEqual([
      ['b', 'unauthenticated'],
      ['c', 'failed'],
    ]);
  });

  it('partialWithWarnings keeps settle order when asked', async () => {
    const value = await drive(fanout.run({ operation: 'search', data: {}, context: {}, worker, strategy: partialWithWarnings({ order: 'settle' }) }));
    expect(value.data).toEqual(['d1', 'd2', 'a1', 'a2']);
    expect(value.unavailableInstances).toEqual(['c', 'b']);
  });
});
