import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFanout, firstSuccess, staticRouter, type Instance, type WorkerCall } from '../../src/index.js';
import { expectNothingLeft, wait } from '../_support/instances.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A worker whose latency is chosen per call by `latency(target, attempt)`. */
function timedWorker(latency: (target: Instance, call: WorkerCall) => number) {
  const calls: { target: string; call: WorkerCall }[] = [];
  const worker = async (target: Instance, call: WorkerCall) => {
    calls.push({ target: target.id, call });
    await wait(latency(target, call), call.signal);
    return `${target.id}#${call.attempt}`;
  };
  return { worker, calls };
}

describe('hedging', () => {
  it('starts a backup only after the hedge delay and aborts the loser', async () => {
    const instance = { id: 'cloud' };
    const { worker, calls } = timedWorker((_, call) => (call.hedge ? 50 : 1000));
    const fanout = createFanout({ router: staticRouter([instance]), hedge: { delayMs: 100 }, timeoutMs: 5000 });
    const promise = fanout.runDetailed({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() });
    await vi.advanceTimersByTimeAsync(99);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.call.hedge).toBe(true);
    await vi.advanceTimersByTimeAsync(50);
    const { value, report } = await promise;
    expect(value).toBe('cloud#2');
    expect(calls[0]?.call.signal.aborted).toBe(true);
    expect(calls[1]?.call.signal.aborted).toBe(false);
    expect(report.instances[0]?.attempts.map((a) => [a.hedge, a.result, a.startMs, a.endMs])).toEqual([
      [false, 'cancelled', 0, 150],
      [true, 'success', 100, 150],
    ]);
    expectNothingLeft();
  });

  it('does not hedge when the first attempt answers before the delay', async () => {
    const { worker, calls } = timedWorker(() => 30);
    const fanout = createFanout({ router: staticRouter([{ id: 'cloud' }]), hedge: { delayMs: 100 } });
    const promise = fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() });
    await vi.advanceTimersByTimeAsync(500);
    await expect(promise).resolves.toBe('cloud#1');
    expect(calls).toHaveLength(1);
    expectNothingLeft();
  });

  it('sends the backup to a replica listed in meta.replicas', async () => {
    const replica = { id: 'cloud-b', url: 'http://cloud-b.internal' };
    const instance = { id: 'cloud', url: 'http://cloud-a.internal', meta: { replicas: [replica] } };
    const { worker, calls } = timedWorker((target) => (target.id === 'cloud-b' ? 10 : 1000));
    const fanout = createFanout({ router: staticRouter([instance]), hedge: { delayMs: 100 } });
    const promise = fanout.runDetailed({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() });
    await vi.advanceTimersByTimeAsync(200);
    const { value, report } = await promise;
    expect(calls.map((c) => c.target)).toEqual(['cloud', 'cloud-b']);
    expect(value).toBe('cloud-b#2');
    expect(report.instances[0]?.instanceId).toBe('cloud');
    expect(report.instances[0]?.attempts[1]?.target).toBe('cloud-b');
  });

  it('hedges adaptively at the observed latency percentile of the instance', async () => {
    let slow = false;
    const { worker, calls } = timedWorker((_, call) => (slow && !call.hedge ? 5000 : 20 + (call.attempt % 5)));
    const fanout = createFanout({ router: staticRouter([{ id: 'cloud' }]), hedge: { percentile: 0.9, delayMs: 1000 }, budget: false });
    for (let i = 0; i < 20; i += 1) {
      const p = fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() });
      await vi.advanceTimersByTimeAsync(30);
      await p;
    }
    expect(calls.every((c) => !c.call.hedge)).toBe(true);
    slow = true;
    calls.length = 0;
    const started = Date.now();
    const p = fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() });
    await vi.advanceTimersByTimeAsync(100);
    await p;
    // the backup started at the p90 of ~20-24 ms, not at the fixed 1000 ms fallback
    expect(calls).toHaveLength(2);
    expect(calls[1]?.call.hedge).toBe(true);
    expect(Date.now() - started).toBe(100);
  });

  it('stops hedging when the budget is spent and says so', async () => {
    const exhausted: string[] = [];
    const { worker, calls } = timedWorker((_, call) => (call.hedge ? 10 : 1000));
    const fanout = createFanout({
      router: staticRouter([{ id: 'cloud' }]),
      hedge: { delayMs: 100 },
      budget: { ratio: 0, minPerSecond: 0.1, windowMs: 10_000 }, // exactly one extra attempt per 10 s
      on: { budgetExhausted: (s) => exhausted.push(s.kind) },
    });
    for (let i = 0; i < 3; i += 1) {
      const p = fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() });
      await vi.advanceTimersByTimeAsync(1000);
      await p;
    }
    expect(calls.filter((c) => c.call.hedge)).toHaveLength(1);
    expect(exhausted).toEqual(['hedge', 'hedge']);
  });
});

describe('extra-load budget', () => {
  it('caps retries across calls of one fanout', async () => {
    const exhausted: string[] = [];
    let attempts = 0;
    const fanout = createFanout({
      router: staticRouter([{ id: 'cloud' }]),
      random: () => 0,
      retry: { maxAttempts: 3 },
      budget: { ratio: 0.5, minPerSecond: 0, windowMs: 10_000 },
      on: { budgetExhausted: (s) => exhausted.push(s.kind) },
    });
    const worker = async () => {
      attempts += 1;
      throw Object.assign(new Error('down'), { status: 503 });
    };
    for (let i = 0; i < 4; i += 1) {
      const p = fanout.collect({ operation: 'get', data: {}, context: {}, worker });
      await vi.advanceTimersByTimeAsync(100);
      await p;
    }
    // 4 first attempts allow 0.5 × 4 = 2 retries in all, not 2 per call
    expect(attempts).toBe(4 + 2);
    expect(exhausted.length).toBeGreaterThan(0);
  });
});

describe('budget opt-out', () => {
  it('lets an operation retry outside the fanout budget with budget: false', async () => {
    let attempts = 0;
    const fanout = createFanout({
      router: staticRouter([{ id: 'cloud' }]),
      random: () => 0,
      retry: { maxAttempts: 3 },
      budget: { ratio: 0, minPerSecond: 0 },
    });
    const worker = async () => {
      attempts += 1;
      throw Object.assign(new Error('down'), { status: 503 });
    };
    const p = fanout.collect({ operation: 'get', data: {}, context: {}, worker, budget: false });
    await vi.advanceTimersByTimeAsync(1000);
    await p;
    expect(attempts).toBe(3);
  });
});
