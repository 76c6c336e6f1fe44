import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFanout, staticRouter, type FinishState } from '../../src/index.js';
import { cloud, expectNothingLeft, scripted, status } from '../_support/instances.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => vi.useRealTimers());

describe('the deadline', () => {
  it('is kept when workers take time to start: it fires at startedAt + deadlineMs, not later', async () => {
    const finishes: FinishState[] = [];
    const fanout = createFanout({ router: staticRouter([cloud]), deadlineMs: 1_000, timeoutMs: 1_000, on: { finish: (state) => finishes.push(state) } });
    // The worker blocks for 400 ms before it sends its request (building a large body, say).
    const worker = (_instance: unknown, call: { signal: AbortSignal }) => {
      vi.setSystemTime(Date.now() + 400);
      return new Promise<string>((_resolve, reject) => call.signal.addEventListener('abort', () => reject(call.signal.reason), { once: true }));
    };
    const call = fanout.collect({ operation: 'read', data: {}, context: {}, worker });
    await vi.advanceTimersByTimeAsync(599);
    expect(finishes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(finishes.map((f) => f.report.durationMs)).toEqual([1_000]);
    expect((await call).errors.map((e) => e.reason)).toEqual(['timeout']);
    expectNothingLeft();
  });

  it('does not count against the breaker when it ends a credential refresh (a 401 says nothing about the instance)', async () => {
    const { worker, callsOf } = scripted<string>({ cloud: status(401) });
    // The refresh outlives the call's deadline.
    const refreshing = Object.assign(worker, { refreshCredentials: () => new Promise<void>((resolve) => setTimeout(resolve, 5_000)) });
    const fanout = createFanout({
      router: staticRouter([cloud]),
      deadlineMs: 1_000,
      retry: false,
      breaker: { policy: { kind: 'consecutive', threshold: 1 } },
    });
    const first = fanout.collect({ operation: 'read', data: {}, context: {}, worker: refreshing });
    await vi.advanceTimersByTimeAsync(6_000);
    expect((await first).errors.map((e) => e.reason)).toEqual(['timeout']);
    const second = fanout.collect({ operation: 'read', data: {}, context: {}, worker: refreshing });
    await vi.advanceTimersByTimeAsync(6_000);
    const responses = await second;
    // With the breaker opened by the first call, the instance would be skipped and never asked.
    expect(responses.skipped).toEqual([]);
    expect(callsOf('cloud')).toHaveLength(2);
    expectNothingLeft();
  });
});
