import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFanout, mergeAll, partialWithWarnings, staticRouter, type Instance, type WorkerCall } from '../../src/index.js';
import { expectNothingLeft, StatusError, wait } from '../_support/instances.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

async function drive<T>(promise: Promise<T>, ms = 10_000): Promise<T> {
  promise.catch(() => {});
  await vi.advanceTimersByTimeAsync(ms);
  return promise;
}

const one = staticRouter([{ id: 'cloud' }]);
const refused = () => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });

function counting(fail: (call: WorkerCall) => unknown, latencyMs = 0) {
  const calls: WorkerCall[] = [];
  const worker = async (_: Instance, call: WorkerCall) => {
    calls.push(call);
    if (latencyMs > 0) await wait(latencyMs, call.signal);
    const error = fail(call);
    if (error !== undefined) throw error;
    return ['ok'];
  };
  return { worker, calls };
}

describe('idempotency', () => {
  it('does not retry a 503 of work declared idempotent: false', async () => {
    const { worker, calls } = counting(() => new StatusError(503));
    const fanout = createFanout({ router: one, retry: { maxAttempts: 3 } });
    const responses = await drive(fanout.collect({ operation: 'charge', data: {}, context: {}, worker, idempotent: false }));
    expect(calls).toHaveLength(1);
    expect(responses.errors.map((o) => o.reason)).toEqual(['failed']);
    expectNothingLeft();
  });

  it('does not retry work whose worker says idempotent: false', async () => {
    const { worker, calls } = counting(() => new StatusError(503));
    const fanout = createFanout({ router: one, retry: { maxAttempts: 3 } });
    await drive(fanout.collect({ operation: 'charge', data: {}, context: {}, worker: Object.assign(worker, { idempotent: false }) }));
    expect(calls).toHaveLength(1);
  });

  it('lets an operation that says idempotent: true retry a worker that says false', async () => {
    const { worker, calls } = counting((call) => (call.attempt === 1 ? new StatusError(503) : undefined));
    const fanout = createFanout({ router: one, retry: { maxAttempts: 3 } });
    const value = await drive(fanout.run({ operation: 'put', data: {}, context: {}, worker: Object.assign(worker, { idempotent: false }), strategy: mergeAll(), idempotent: true }));
    expect(value).toEqual(['ok']);
    expect(calls).toHaveLength(2);
  });

  it('retries work that is not idempotent when the connection was refused before sending', async () => {
    const { worker, calls } = counting((call) => (call.attempt === 1 ? refused() : undefined));
    const fanout = createFanout({ router: one, retry: { maxAttempts: 3 } });
    const value = await drive(fanout.run({ operation: 'charge', data: {}, context: {}, worker, strategy: mergeAll(), idempotent: false }));
    expect(value).toEqual(['ok']);
    expect(calls).toHaveLength(2);
    expectNothingLeft();
  });

  it('does not retry work that is not idempotent after its attempt timed out', async () => {
    const { worker, calls } = counting(() => undefined, 10_000);
    const fanout = createFanout({ router: one, retry: { maxAttempts: 3 }, timeoutMs: 100, deadlineMs: 5000 });
    const responses = await drive(fanout.collect({ operation: 'charge', data: {}, context: {}, worker, idempotent: false }));
    expect(calls).toHaveLength(1);
    expect(responses.errors.map((o) => o.reason)).toEqual(['timeout']);
    expectNothingLeft();
  });

  it('never hedges work that is not idempotent', async () => {
    const { worker, calls } = counting(() => undefined, 500);
    const fanout = createFanout({ router: one, hedge: { delayMs: 50 }, budget: false });
    await drive(fanout.run({ operation: 'charge', data: {}, context: {}, worker, strategy: mergeAll(), idempotent: false }));
    expect(calls.map((c) => c.hedge)).toEqual([false]);
    expectNothingLeft();
  });
});

describe('programmer errors', () => {
  it('does not retry a TypeError thrown by the worker, reports it, and keeps the breaker closed', async () => {
    const seen: unknown[] = [];
    let calls = 0;
    const worker = async (): Promise<string[]> => {
      calls += 1;
      const value = undefined as unknown as { id: string };
      return [value.id];
    };
    const fanout = createFanout({
      router: one,
      retry: { maxAttempts: 3 },
      breaker: { policy: { kind: 'consecutive', threshold: 1 } },
      on: { programmerError: (state) => seen.push(state.error) },
    });
    for (let i = 0; i < 3; i += 1) {
      const responses = await drive(fanout.collect({ operation: 'get', data: {}, context: {}, worker }));
      expect(responses.errors.map((o) => [o.reason, (o.error as Error).name])).toEqual([['failed', 'TypeError']]);
    }
    expect(calls).toBe(3);
    expect(seen).toHaveLength(3);
    expectNothingLeft();
  });

  it.each(['ReferenceError', 'SyntaxError', 'RangeError'])('treats a %s from the worker as a bug, not an outage', async (name) => {
    let calls = 0;
    const worker = async (): Promise<string> => {
      calls += 1;
      const error = new Error('bug');
      error.name = name;
      throw error;
    };
    const fanout = createFanout({ router: one, retry: { maxAttempts: 3 } });
    await drive(fanout.collect({ operation: 'get', data: {}, context: {}, worker }));
    expect(calls).toBe(1);
  });

  it("retries fetch's `TypeError: fetch failed` with a network cause as a transport failure", async () => {
    const { worker, calls } = counting((call) => (call.attempt === 1 ? refused() : undefined));
    const fanout = createFanout({ router: one, retry: { maxAttempts: 2 } });
    await drive(fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: mergeAll() }));
    expect(calls).toHaveLength(2);
  });

  it('lets shouldRetry decide per outcome', async () => {
    const states: { attempt: number; retry: boolean; idempotent: boolean }[] = [];
    const { worker, calls } = counting(() => new StatusError(400));
    const fanout = createFanout({
      router: one,
      retry: { maxAttempts: 3, baseDelayMs: 0 },
      shouldRetry: (state) => {
        states.push({ attempt: state.attempt, retry: state.retry, idempotent: state.idempotent });
        return state.attempt < 2;
      },
    });
    await drive(fanout.collect({ operation: 'get', data: {}, context: {}, worker }));
    expect(calls).toHaveLength(2);
    expect(states).toEqual([
      { attempt: 1, retry: false, idempotent: true },
      { attempt: 2, retry: false, idempotent: true },
    ]);
  });

  it('counts a shouldRetry that throws as no retry', async () => {
    const { worker, calls } = counting(() => new StatusError(503));
    const fanout = createFanout({ router: one, retry: { maxAttempts: 3 }, shouldRetry: () => { throw new Error('oops'); } });
    await drive(fanout.collect({ operation: 'get', data: {}, context: {}, worker }));
    expect(calls).toHaveLength(1);
  });
});

describe('401 is not 403', () => {
  const instances = [{ id: 'cloud' }, { id: 'enterprise-acme' }];
  const all401 = () => counting(() => new StatusError(401));

  it('makes mergeAll fail with ALL_FAILED when every instance refuses the credential', async () => {
    const { worker } = all401();
    const fanout = createFanout({ router: staticRouter(instances) });
    await expect(drive(fanout.run({ operation: 'search', data: {}, context: {}, worker, strategy: mergeAll() }))).rejects.toMatchObject({ code: 'ALL_FAILED' });
  });

  it('shows each refused credential as an unauthenticated warning in partialWithWarnings', async () => {
    const worker = async (instance: Instance) => {
      if (instance.id === 'cloud') return ['g1'];
      throw new StatusError(401);
    };
    const fanout = createFanout({ router: staticRouter(instances) });
    const value = await drive(fanout.run({ operation: 'search', data: {}, context: {}, worker, strategy: partialWithWarnings() }));
    expect(value.data).toEqual(['g1']);
    expect(value.warnings.map((w) => [w.instance, w.category])).toEqual([['enterprise-acme', 'unauthenticated']]);
  });

  it('never opens a breaker on 401', async () => {
    const { worker, calls } = all401();
    const fanout = createFanout({ router: one, breaker: { policy: { kind: 'consecutive', threshold: 1 } } });
    for (let i = 0; i < 3; i += 1) await drive(fanout.collect({ operation: 'get', data: {}, context: {}, worker }));
    expect(calls).toHaveLength(3);
  });

  it('retries once after the worker refreshes its credential for that instance', async () => {
    const refreshed: string[] = [];
    let token = 'old';
    const worker = Object.assign(
      async (_: Instance, call: WorkerCall) => {
        if (token === 'old') throw new StatusError(401);
        return [`${token}#${call.attempt}`];
      },
      {
        refreshCredentials: async (instance: Instance) => {
          refreshed.push(instance.id);
          token = 'new';
        },
      },
    );
    const fanout = createFanout({ router: one, retry: false });
    const value = await drive(fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: mergeAll() }));
    expect(value).toEqual(['new#2']);
    expect(refreshed).toEqual(['cloud']);
  });

  it('gives up after one refresh when the new credential is refused too', async () => {
    let refreshes = 0;
    const { worker, calls } = all401();
    const refreshing = Object.assign(worker, { refreshCredentials: () => { refreshes += 1; } });
    const fanout = createFanout({ router: one, retry: { maxAttempts: 3 } });
    const responses = await drive(fanout.collect({ operation: 'get', data: {}, context: {}, worker: refreshing }));
    expect([calls.length, refreshes]).toEqual([2, 1]);
    expect(responses.errors.map((o) => o.reason)).toEqual(['unauthenticated']);
  });

  it('does not retry a 401 when the worker cannot refresh its credential', async () => {
    const { worker, calls } = all401();
    const fanout = createFanout({ router: one, retry: { maxAttempts: 3 } });
    await drive(fanout.collect({ operation: 'get', data: {}, context: {}, worker }));
    expect(calls).toHaveLength(1);
  });
});

describe('malformed answers are not bugs', () => {
  it('counts a SyntaxError from response.json() against the breaker as an upstream failure, without retrying it', async () => {
    const bugs: unknown[] = [];
    let calls = 0;
    const worker = async (): Promise<unknown> => {
      calls += 1;
      return new Response('{"half": ').json();
    };
    const fanout = createFanout({
      router: staticRouter([{ id: 'a' }, { id: 'b' }]),
      retry: { maxAttempts: 3 },
      breaker: { policy: { kind: 'consecutive', threshold: 1 }, openMs: 60_000 },
      on: { programmerError: (state) => bugs.push(state.error) },
    });
    await drive(fanout.collect({ operation: 'get', data: {}, context: {}, worker }));
    expect(calls).toBe(2);
    const second = await drive(fanout.collect({ operation: 'get', data: {}, context: {}, worker }));
    expect(second.skipped.map((o) => o.reason)).toEqual(['circuit-open']);
    expect(bugs).toEqual([]);
  });
});
