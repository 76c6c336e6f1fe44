import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { composeHooks, createFanout, firstSuccess, mergeAll, staticRouter, type FanoutHooks } from '../../src/index.js';
import { cloud, expectNothingLeft, fail, ok, scripted, seedInstances, status } from '../_support/instances.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

async function settle<T>(promise: Promise<T>, ms = 60_000): Promise<T> {
  promise.catch(() => {});
  await vi.advanceTimersByTimeAsync(ms);
  return promise;
}

/** Records every hook call as `name:detail`. */
function recorder() {
  const seen: string[] = [];
  const hooks: FanoutHooks = {
    start: (s) => seen.push(`start:${s.operation}#${s.callId}`),
    attempt: (s) => seen.push(`attempt:${s.instance.id}/${s.attempt}${s.hedge ? '/hedge' : ''}#${s.callId}`),
    attemptEnd: (s) => seen.push(`attemptEnd:${s.instance.id}/${s.attempt}=${s.result}#${s.callId}`),
    retry: (s) => seen.push(`retry:${s.instance.id}/${s.attempt}#${s.callId}`),
    outcome: (s) => seen.push(`outcome:${s.outcome.instance.id}=${s.outcome.status}#${s.callId}`),
    finish: (s) => seen.push(`finish:${s.report.finishedBy}${s.error === undefined ? '' : '!'}#${s.callId}`),
  };
  return { seen, hooks };
}

describe('fanout hooks', () => {
  it('ties start, attempts, their ends, retries, outcomes and finish of one call together by callId', async () => {
    const { seen, hooks } = recorder();
    const { worker } = scripted<string[]>({ cloud: [fail(), ok(['a'])] });
    const fanout = createFanout({ router: staticRouter([cloud]), retry: { maxAttempts: 2, baseDelayMs: 10 }, random: () => 0.5, on: hooks });
    await settle(fanout.run({ operation: 'search', data: {}, context: {}, worker, strategy: mergeAll() }));
    const id = /#(\d+)$/.exec(seen[0]!)![1];
    expect(seen).toEqual([
      `start:search#${id}`,
      `attempt:cloud/1#${id}`,
      `attemptEnd:cloud/1=error#${id}`,
      `retry:cloud/1#${id}`,
      `attempt:cloud/2#${id}`,
      `attemptEnd:cloud/2=success#${id}`,
      `outcome:cloud=success#${id}`,
      `finish:all-settled#${id}`,
    ]);
    expectNothingLeft();
  });

  it('gives concurrent calls different callIds', async () => {
    const { seen, hooks } = recorder();
    const { worker } = scripted<string[]>({ '*': ok(['a'], 5) });
    const fanout = createFanout({ router: staticRouter([cloud]), on: hooks });
    await settle(Promise.all([1, 2].map(() => fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: mergeAll() }))));
    const ids = new Set(seen.filter((line) => line.startsWith('start:')).map((line) => line.split('#')[1]));
    expect(ids.size).toBe(2);
  });

  it('ends the attempts an early finish cancels before it reports finish', async () => {
    const { seen, hooks } = recorder();
    const { worker } = scripted<string>({ cloud: ok('a', 1), 'enterprise-acme': ok('b', 100), 'enterprise-conf': ok('c', 100) });
    const fanout = createFanout({ router: staticRouter(seedInstances), on: hooks });
    await settle(fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() }));
    const finishAt = seen.findIndex((line) => line.startsWith('finish:early-finish'));
    expect(seen.slice(0, finishAt)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^attemptEnd:enterprise-acme\/1=cancelled/), expect.stringMatching(/^attemptEnd:enterprise-conf\/1=cancelled/)]),
    );
    expect(finishAt).toBe(seen.length - 1);
    expectNothingLeft();
  });

  it('reports finish with the error when a call has no instances or its strategy throws', async () => {
    const { seen, hooks } = recorder();
    const { worker } = scripted<string>({ cloud: status(403) });
    const empty = createFanout({ router: staticRouter([]), on: hooks });
    await expect(settle(empty.run({ operation: 'none', data: {}, context: {}, worker, strategy: mergeAll() }))).rejects.toMatchObject({ code: 'NO_INSTANCES' });
    const one = createFanout({ router: staticRouter([cloud]), on: hooks });
    await expect(settle(one.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() }))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(seen.filter((line) => line.startsWith('finish:'))).toEqual([expect.stringMatching(/^finish:no-instances!#/), expect.stringMatching(/^finish:all-settled!#/)]);
  });
});

describe('composeHooks', () => {
  it('calls every set in order and keeps going past a hook that throws', async () => {
    const order: string[] = [];
    const hooks = composeHooks<FanoutHooks>(
      { finish: () => order.push('first') },
      undefined,
      {
        finish: () => {
          throw new Error('observer bug');
        },
      },
      { finish: () => order.push('third'), start: () => order.push('start') },
    );
    const { worker } = scripted<string>({ cloud: ok('a') });
    const fanout = createFanout({ router: staticRouter([cloud]), on: hooks });
    await expect(settle(fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() }))).resolves.toBe('a');
    expect(order).toEqual(['start', 'first', 'third']);
  });
});
