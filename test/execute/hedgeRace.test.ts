import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFanout, fanOutTo, firstSuccess, staticRouter, type Instance, type WorkerCall } from '../../src/index.js';
import { expectNothingLeft, StatusError, wait } from '../_support/instances.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const replicated: Instance = { id: 'cloud', meta: { replicas: [{ id: 'cloud-b' }] } };

describe('the hedge race', () => {
  it.each([403, 404, 500])('lets the primary win when the hedge answers %i first', async (code) => {
    const worker = async (target: Instance, call: WorkerCall) => {
      if (call.hedge) {
        await wait(10, call.signal);
        throw new StatusError(code);
      }
      await wait(300, call.signal);
      return 'primary';
    };
    const fanout = createFanout({ router: staticRouter([replicated]), hedge: { delayMs: 100 }, retry: false, budget: false });
    const promise = fanout.runDetailed({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() });
    await vi.advanceTimersByTimeAsync(400);
    const { value, report } = await promise;
    expect(value).toBe('primary');
    expect(report.instances[0]?.attempts.map((a) => [a.target, a.result])).toEqual([
      ['cloud', 'success'],
      ['cloud-b', code === 403 ? 'unauthorized' : code === 404 ? 'not-found' : 'error'],
    ]);
    expectNothingLeft();
  });

  it('lets the hedge win when the primary answers 404 while the hedge still runs', async () => {
    const worker = async (target: Instance, call: WorkerCall) => {
      if (!call.hedge) {
        await wait(150, call.signal);
        throw new StatusError(404);
      }
      await wait(200, call.signal);
      return 'replica';
    };
    const fanout = createFanout({ router: staticRouter([replicated]), hedge: { delayMs: 100 }, retry: false, budget: false });
    const promise = fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() });
    await vi.advanceTimersByTimeAsync(400);
    await expect(promise).resolves.toBe('replica');
    expectNothingLeft();
  });

  it('ends with the definite failure once every attempt has failed', async () => {
    const worker = async (target: Instance, call: WorkerCall) => {
      await wait(call.hedge ? 10 : 200, call.signal);
      throw new StatusError(call.hedge ? 404 : 503);
    };
    const fanout = createFanout({ router: staticRouter([replicated]), hedge: { delayMs: 100 }, retry: false, budget: false });
    const promise = fanout.collect({ operation: 'get', data: {}, context: {}, worker });
    await vi.advanceTimersByTimeAsync(400);
    const responses = await promise;
    expect(responses.all.map((o) => o.status)).toEqual(['not-found']);
    expectNothingLeft();
  });

  it('keeps latency windows per instance and operation, so a fast operation does not hedge a slow one early', async () => {
    const calls: { operation: string; hedge: boolean }[] = [];
    const worker = async (_: Instance, call: WorkerCall) => {
      calls.push({ operation: call.operation, hedge: call.hedge });
      await wait(call.operation === 'fast' ? 5 : 200, call.signal);
      return call.operation;
    };
    const fanout = createFanout({ router: staticRouter([{ id: 'cloud' }]), hedge: { percentile: 0.9, delayMs: 1000 }, budget: false, timeoutMs: 5000 });
    for (let i = 0; i < 20; i += 1) {
      const p = fanout.run({ operation: 'fast', data: {}, context: {}, worker, strategy: firstSuccess() });
      await vi.advanceTimersByTimeAsync(10);
      await p;
    }
    calls.length = 0;
    const slow = fanout.run({ operation: 'slow', data: {}, context: {}, worker, strategy: firstSuccess() });
    await vi.advanceTimersByTimeAsync(250);
    await expect(slow).resolves.toBe('slow');
    expect(calls).toEqual([{ operation: 'slow', hedge: false }]);
    expectNothingLeft();
  });
});

describe('fanOutTo and adaptive hedging', () => {
  it('rejects hedge.percentile with INVALID_CONFIG saying it keeps no latency history', async () => {
    const worker = async () => 'x';
    await expect(fanOutTo([{ id: 'a' }], worker, { hedge: { percentile: 0.95 } })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('keeps no latency history'),
    });
  });

  it('still hedges after a fixed delay', async () => {
    const worker = async (_: Instance, call: WorkerCall) => {
      await wait(call.hedge ? 10 : 1000, call.signal);
      return call.hedge ? 'hedge' : 'primary';
    };
    const promise = fanOutTo([{ id: 'a' }], worker, { hedge: { delayMs: 50 }, strategy: firstSuccess() });
    await vi.advanceTimersByTimeAsync(100);
    await expect(promise).resolves.toBe('hedge');
    expectNothingLeft();
  });
});
