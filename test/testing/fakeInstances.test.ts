import { getEventListeners } from 'node:events';
import { describe, expect, test, vi } from 'vitest';
import { useFakeTimersFromZero } from '../_support/fakeTimers.js';
import { isSwitchyardError } from '../../src/errors/SwitchyardError.js';
import type { WorkerCall } from '../../src/execute/types.js';
import { createManualClock, fakeInstances, FakeInstanceError, type FakeInstancesOptions, type FakeResult } from '../../src/testing/index.js';

useFakeTimersFromZero();

function callWith(signal = new AbortController().signal, attempt = 1): WorkerCall<unknown, unknown> {
  return { data: undefined, context: undefined, operation: 'op', signal, attempt, deadline: Date.now() + 60_000, hedge: false };
}

/** Calls each instance `rounds` times in turn and records what each call did. */
async function trace(options: FakeInstancesOptions<FakeResult>, rounds = 20, order: 'forward' | 'backward' = 'forward') {
  const { instances, worker } = fakeInstances(options);
  const list = order === 'forward' ? instances : [...instances].reverse();
  const byInstance = new Map<string, string[]>();
  for (let round = 0; round < rounds; round += 1) {
    for (const instance of list) {
      const settled = worker(instance, callWith()).then(
        (result) => `ok ${result.latencyMs.toFixed(3)}`,
        (error: FakeInstanceError) => `${error.status}`,
      );
      await vi.runAllTimersAsync();
      byInstance.set(instance.id, [...(byInstance.get(instance.id) ?? []), await settled]);
    }
  }
  return byInstance;
}

const noisy = { count: 4, latency: { baseMs: 10, jitterMs: 5, slowProbability: 0.2, slowExtraMs: 1_000 }, failureProbability: 0.1, statuses: { 403: 0.1 } };

test('the same seed gives every instance the same latencies and faults, call by call', async () => {
  expect(await trace({ ...noisy, seed: 7 })).toEqual(await trace({ ...noisy, seed: 7 }));
});

test('an instance behaves the same whatever order the instances are called in', async () => {
  expect(await trace({ ...noisy, seed: 7 }, 20, 'forward')).toEqual(await trace({ ...noisy, seed: 7 }, 20, 'backward'));
});

test('another seed gives other latencies', async () => {
  expect(await trace({ ...noisy, seed: 7 })).not.toEqual(await trace({ ...noisy, seed: 8 }));
});

test('answers after baseMs plus jitter, with ids fake-0 … fake-{count-1}', async () => {
  const { instances, worker } = fakeInstances({ count: 3, seed: 1, latency: { baseMs: 100, jitterMs: 10 } });
  expect(instances.map((i) => i.id)).toEqual(['fake-0', 'fake-1', 'fake-2']);
  let result: FakeResult | undefined;
  void worker(instances[0]!, callWith()).then((r) => (result = r));
  await vi.advanceTimersByTimeAsync(99);
  expect(result).toBeUndefined();
  await vi.advanceTimersByTimeAsync(11);
  expect(result).toMatchObject({ instanceId: 'fake-0', attempt: 1, hedge: false });
  expect(result!.latencyMs).toBeGreaterThanOrEqual(100);
  expect(result!.latencyMs).toBeLessThan(110);
});

test('about slowProbability of calls take slowExtraMs longer', async () => {
  const { instances, worker } = fakeInstances({ count: 100, seed: 3, latency: { baseMs: 10, slowProbability: 0.05, slowExtraMs: 1_000 } });
  const results: Promise<FakeResult>[] = [];
  for (let round = 0; round < 20; round += 1) for (const instance of instances) results.push(worker(instance, callWith()));
  await vi.runAllTimersAsync();
  const slow = (await Promise.all(results)).filter((r) => r.latencyMs >= 1_000).length;
  expect(slow / results.length).toBeGreaterThan(0.04);
  expect(slow / results.length).toBeLessThan(0.06);
});

test('fails with a status-carrying error at the configured rates', async () => {
  const { instances, worker, stats } = fakeInstances({ count: 50, seed: 5, latency: { baseMs: 1 }, failureProbability: 0.2, statuses: { 404: 0.3 } });
  const settled: Promise<unknown>[] = [];
  for (let round = 0; round < 40; round += 1) for (const instance of instances) settled.push(worker(instance, callWith()).catch((e: FakeInstanceError) => e.status));
  await vi.runAllTimersAsync();
  const outcomes = await Promise.all(settled);
  const share = (status: number) => outcomes.filter((o) => o === status).length / outcomes.length;
  expect(share(500)).toBeGreaterThan(0.17);
  expect(share(500)).toBeLessThan(0.23);
  expect(share(404)).toBeGreaterThan(0.27);
  expect(share(404)).toBeLessThan(0.33);
  expect(stats()).toMatchObject({ calls: 2_000, failed: outcomes.filter((o) => typeof o === 'number').length });
});

test('an aborted call rejects with the signal reason at once and leaves no timer or listener', async () => {
  const { instances, worker, stats } = fakeInstances({ count: 1, seed: 1, latency: { baseMs: 5_000 } });
  const controller = new AbortController();
  const pending = worker(instances[0]!, callWith(controller.signal));
  expect(vi.getTimerCount()).toBe(1);
  const reason = new DOMException('caller left', 'AbortError');
  controller.abort(reason);
  await expect(pending).rejects.toBe(reason);
  expect(vi.getTimerCount()).toBe(0);
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  expect(stats()).toMatchObject({ calls: 1, aborted: 1, succeeded: 0 });
});

test('a call with an already aborted signal rejects without setting a timer', async () => {
  const { instances, worker } = fakeInstances({ count: 1, seed: 1, latency: { baseMs: 10 } });
  await expect(worker(instances[0]!, callWith(AbortSignal.abort()))).rejects.toMatchObject({ name: 'AbortError' });
  expect(vi.getTimerCount()).toBe(0);
});

test('a completed call leaves no abort listener on its signal', async () => {
  const { instances, worker } = fakeInstances({ count: 1, seed: 1, latency: { baseMs: 10 } });
  const controller = new AbortController();
  const pending = worker(instances[0]!, callWith(controller.signal));
  await vi.runAllTimersAsync();
  await pending;
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
});

test('respond shapes what a successful call resolves to', async () => {
  const { instances, worker } = fakeInstances({ count: 2, seed: 1, latency: { baseMs: 1 }, respond: (instance) => [instance.id] });
  const pending = worker(instances[1]!, callWith());
  await vi.runAllTimersAsync();
  expect(await pending).toEqual(['fake-1']);
});

test('runs on a manual clock when one is given', async () => {
  vi.useRealTimers();
  const clock = createManualClock();
  const { instances, worker } = fakeInstances({ count: 1, seed: 1, latency: { baseMs: 250 }, clock });
  let done = false;
  void worker(instances[0]!, callWith()).then(() => (done = true));
  await clock.advanceAsync(249);
  expect(done).toBe(false);
  await clock.advanceAsync(1);
  expect(done).toBe(true);
  expect(clock.pending()).toBe(0);
  vi.useFakeTimers();
});

test.each([
  [{ count: 0, seed: 1, latency: { baseMs: 1 } }, 'count'],
  [{ count: 1, seed: 1.5, latency: { baseMs: 1 } }, 'seed'],
  [{ count: 1, seed: 1, latency: { baseMs: -1 } }, 'latency.baseMs'],
  [{ count: 1, seed: 1, latency: { baseMs: 1, slowProbability: 2 } }, 'latency.slowProbability'],
  [{ count: 1, seed: 1, latency: { baseMs: 1 }, failureProbability: 0.6, statuses: { 403: 0.6 } }, 'statuses'],
])('rejects %j naming the field', (options, field) => {
  let thrown: unknown;
  try {
    fakeInstances(options);
  } catch (error) {
    thrown = error;
  }
  expect(isSwitchyardError(thrown) && thrown.code).toBe('INVALID_CONFIG');
  expect((thrown as Error).message).toContain(`Expected \`${field}\``);
});

describe('faults shared with the HTTP fakes', () => {
  const settle = async <T>(promise: Promise<T>, ms: number) => {
    const result = promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    await vi.advanceTimersByTimeAsync(ms);
    return result;
  };

  test('hang never answers, and rejects with the signal reason on abort without leaving a timer', async () => {
    const { instances, worker } = fakeInstances({ count: 1, seed: 1, latency: { baseMs: 10 }, fault: { fault: 'hang' } });
    const controller = new AbortController();
    let settled = false;
    const pending = worker(instances[0]!, callWith(controller.signal)).finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(settled).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    controller.abort(new Error('timeout'));
    await expect(pending).rejects.toThrow('timeout');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  test('reset fails after the latency the way fetch does', async () => {
    const { instances, worker } = fakeInstances({ count: 1, seed: 1, latency: { baseMs: 10 }, fault: { fault: 'reset' } });
    const { error } = (await settle(worker(instances[0]!, callWith()), 10)) as { error: TypeError };
    expect(error).toBeInstanceOf(TypeError);
    expect((error.cause as { code: string }).code).toBe('ECONNRESET');
  });

  test('malformed fails with the SyntaxError of response.json()', async () => {
    const { instances, worker } = fakeInstances({ count: 1, seed: 1, latency: { baseMs: 10 }, fault: { fault: 'malformed' } });
    expect(await settle(worker(instances[0]!, callWith()), 10)).toMatchObject({ error: expect.any(SyntaxError) });
  });

  test('drip answers after one interval per chunk of the JSON body', async () => {
    const { instances, worker } = fakeInstances({ count: 1, seed: 1, latency: { baseMs: 10 }, respond: () => 'abcdefgh', fault: { fault: 'drip', chunkBytes: 5, intervalMs: 100 } });
    let value: unknown;
    void worker(instances[0]!, callWith()).then((v) => (value = v));
    // '"abcdefgh"' is 10 bytes: two chunks.
    await vi.advanceTimersByTimeAsync(209);
    expect(value).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(value).toBe('abcdefgh');
  });

  test('status carries the status and Retry-After in ms; a 2xx status answers its body', async () => {
    const failing = fakeInstances({ count: 1, seed: 1, latency: { baseMs: 0 }, fault: { fault: 'status', status: 503, retryAfterSeconds: 2 } });
    const { error } = (await settle(failing.worker(failing.instances[0]!, callWith()), 1)) as { error: FakeInstanceError };
    expect(error).toMatchObject({ status: 503, retryAfterMs: 2_000 });
    const ok = fakeInstances({ count: 1, seed: 1, latency: { baseMs: 0 }, fault: { fault: 'status', status: 200, body: { custom: true } } });
    expect(await settle(ok.worker(ok.instances[0]!, callWith()), 1)).toEqual({ value: { custom: true } });
  });

  test('a plan function decides per call and sees the call', async () => {
    const { instances, worker } = fakeInstances({
      count: 1,
      seed: 1,
      latency: { baseMs: 0 },
      fault: (request) => (request.index === 0 || request.call.hedge ? { fault: 'status', status: 500 } : undefined),
    });
    const first = await settle(worker(instances[0]!, callWith()), 1);
    const second = await settle(worker(instances[0]!, callWith()), 1);
    expect([first, second].map((r) => ('error' in r ? (r.error as FakeInstanceError).status : 'ok'))).toEqual([500, 'ok']);
  });

  test('fault chances share their draw with failureProbability and statuses, and must sum to at most 1', () => {
    expect(() => fakeInstances({ count: 1, seed: 1, latency: { baseMs: 0 }, fault: [{ fault: 'reset', probability: 0.5 }], statuses: { 404: 0.6 } })).toThrow(
      /Expected `statuses` to be probabilities that sum to at most 1 with `fault` chances/,
    );
    expect(() => fakeInstances({ count: 1, seed: 1, latency: { baseMs: 0 }, fault: { fault: 'drip', chunkBytes: 0 } })).toThrow(
      'Expected `fault.chunkBytes` to be an integer >= 1, got 0',
    );
  });

  test('without a fault plan the draws are what they always were', async () => {
    const withPlan = await trace({ ...noisy, seed: 7, fault: () => undefined } as FakeInstancesOptions<FakeResult>);
    expect(withPlan).toEqual(await trace({ ...noisy, seed: 7 }));
  });
});
