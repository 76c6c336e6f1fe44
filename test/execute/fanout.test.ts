import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createFanout,
  defineStrategy,
  fanOutTo,
  firstSuccess,
  isSwitchyardError,
  mergeAll,
  staticRouter,
  type FanoutOptions,
  type Responses,
} from '../../src/index.js';
import { acme, cloud, conf, expectNothingLeft, fail, hang, ignoreSignal, ok, scripted, seedInstances, status } from '../_support/instances.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const fanoutOf = (options: Partial<FanoutOptions> = {}) =>
  createFanout({ router: staticRouter(seedInstances), random: () => 0.5, ...options });

async function settle<T>(promise: Promise<T>, ms = 60_000): Promise<T> {
  promise.catch(() => {});
  await vi.advanceTimersByTimeAsync(ms);
  return promise;
}

describe('outcomes', () => {
  it('classifies success, 403, 404 and failures into their categories', async () => {
    const { worker } = scripted<string[]>({ cloud: ok(['a']), 'enterprise-acme': status(403), 'enterprise-conf': status(404) });
    const responses = await settle(fanoutOf().collect({ operation: 'get', data: {}, context: {}, worker }));
    expect(responses.successes.map((o) => o.instance.id)).toEqual(['cloud']);
    expect(responses.unauthorized.map((o) => o.instance.id)).toEqual(['enterprise-acme']);
    expect(responses.notFound.map((o) => o.instance.id)).toEqual(['enterprise-conf']);
    expect(responses.all).toHaveLength(3);
    expectNothingLeft();
  });

  it('classifies tRPC error codes UNAUTHORIZED, FORBIDDEN and NOT_FOUND', async () => {
    const worker = async (instance: { id: string }) => {
      throw Object.assign(new Error('x'), { code: instance.id === 'cloud' ? 'FORBIDDEN' : instance.id === 'enterprise-acme' ? 'UNAUTHORIZED' : 'NOT_FOUND' });
    };
    const responses = await settle(fanoutOf().collect({ operation: 'get', data: {}, context: {}, worker }));
    expect(responses.unauthorized.map((o) => o.instance.id)).toEqual(['cloud']);
    expect(responses.errors.map((o) => [o.instance.id, o.reason])).toEqual([['enterprise-acme', 'unauthenticated']]);
    expect(responses.notFound).toHaveLength(1);
  });

  it('turns a worker that throws synchronously into an error outcome', async () => {
    const worker = (() => {
      throw new Error('sync');
    }) as never;
    const responses = await settle(fanoutOf({ retry: false }).collect({ operation: 'get', data: {}, context: {}, worker }));
    expect(responses.errors.map((o) => o.reason)).toEqual(['failed', 'failed', 'failed']);
  });

  it('records the attempt count and duration of each outcome', async () => {
    const { worker } = scripted<number>({ '*': ok(1, 250) });
    const responses = await settle(fanoutOf().collect({ operation: 'get', data: {}, context: {}, worker }));
    for (const outcome of responses.successes) {
      expect(outcome.attempts).toBe(1);
      expect(outcome.durationMs).toBe(250);
    }
  });
});

describe('retry', () => {
  it('retries a retryable failure once by default and reports two attempts', async () => {
    const { worker, callsOf } = scripted<number>({ cloud: [fail(), ok(1)], 'enterprise-acme': ok(2), 'enterprise-conf': ok(3) });
    const responses = await settle(fanoutOf().collect({ operation: 'get', data: {}, context: {}, worker }));
    expect(callsOf('cloud')).toHaveLength(2);
    expect(callsOf('cloud').map((c) => c.call.attempt)).toEqual([1, 2]);
    const cloudOutcome = responses.successes.find((o) => o.instance.id === 'cloud');
    expect(cloudOutcome?.attempts).toBe(2);
  });

  it.each([401, 403, 404, 400, 422])('calls an instance answering %i exactly once', async (code) => {
    const { worker, callsOf } = scripted<number>({ '*': status(code) });
    await settle(fanoutOf({ retry: { maxAttempts: 5 } }).collect({ operation: 'get', data: {}, context: {}, worker }));
    expect(callsOf('cloud')).toHaveLength(1);
  });

  it.each([408, 429, 500, 503])('retries an instance answering %i', async (code) => {
    const { worker, callsOf } = scripted<number>({ '*': status(code) });
    await settle(fanoutOf({ retry: { maxAttempts: 3 } }).collect({ operation: 'get', data: {}, context: {}, worker }));
    expect(callsOf('cloud')).toHaveLength(3);
  });

  it('does not retry when retry is false', async () => {
    const { worker, callsOf } = scripted<number>({ '*': fail() });
    const responses = await settle(fanoutOf({ retry: false }).collect({ operation: 'get', data: {}, context: {}, worker }));
    expect(callsOf('cloud')).toHaveLength(1);
    expect(responses.errors[0]?.attempts).toBe(1);
  });

  it('grows the backoff ceiling exponentially and applies full jitter', async () => {
    const delays: number[] = [];
    const randoms = [0.9, 0.9, 0.9, 0.25];
    const fanout = createFanout({
      router: staticRouter([cloud]),
      budget: false,
      random: () => randoms.shift() ?? 0.5,
      retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 10_000, factor: 2 },
      on: { retry: (state) => delays.push(state.delayMs) },
    });
    const { worker } = scripted<number>({ '*': fail() });
    await settle(fanout.collect({ operation: 'get', data: {}, context: {}, worker }));
    // ceilings 100, 200, 400, 800 times the random draw
    expect(delays).toEqual([90, 180, 360, 200]);
  });

  it('waits at least the Retry-After the instance asked for', async () => {
    const delays: number[] = [];
    const fanout = createFanout({ router: staticRouter([cloud]), random: () => 0, on: { retry: (s) => delays.push(s.delayMs) } });
    const { worker, calls } = scripted<number>({ cloud: [status(503, 0, 1500), ok(1)] });
    const promise = fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() });
    await vi.advanceTimersByTimeAsync(1499);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(promise).resolves.toBe(1);
    expect(delays).toEqual([1500]);
  });

  it('never sleeps past the deadline: a retry that would end after it is not made', async () => {
    const fanout = createFanout({ router: staticRouter([cloud]), budget: false, random: () => 0.99, deadlineMs: 1000, timeoutMs: 900, retry: { maxAttempts: 10, baseDelayMs: 500 } });
    const { worker, calls } = scripted<number>({ cloud: fail('x', 400) });
    const responses = await settle(fanout.collect({ operation: 'get', data: {}, context: {}, worker }));
    // 400 ms attempt, ~495 ms backoff, then a second 400 ms attempt would end at ~1295 > 1000: cut by the deadline
    expect(calls.length).toBeLessThanOrEqual(2);
    expect(responses.errors).toHaveLength(1);
    expectNothingLeft();
  });

  it('times out a slow attempt and retries it within the deadline', async () => {
    const { worker, callsOf } = scripted<number>({ cloud: [hang, ok(7)] });
    const fanout = createFanout({ router: staticRouter([cloud]), timeoutMs: 100, random: () => 0 });
    const value = await settle(fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() }));
    expect(value).toBe(7);
    expect(callsOf('cloud')[0]?.call.signal.aborted).toBe(true);
    expect(callsOf('cloud')[0]?.call.signal.reason.name).toBe('TimeoutError');
  });
});

describe('deadline and abort', () => {
  it('settles at the deadline even when a worker never settles and ignores its signal', async () => {
    const { worker } = scripted<number>({ cloud: ok(1), 'enterprise-acme': ignoreSignal, 'enterprise-conf': ok(3) });
    const fanout = fanoutOf({ deadlineMs: 2000, retry: false });
    const promise = fanout.runDetailed({ operation: 'search', data: {}, context: {}, worker, strategy: mergeAll() });
    await vi.advanceTimersByTimeAsync(1999);
    let settled = false;
    void promise.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const { value, report } = await promise;
    expect(value).toEqual([1, 3]);
    expect(report.finishedBy).toBe('deadline');
    expect(report.instances.find((i) => i.instanceId === 'enterprise-acme')).toMatchObject({ status: 'error', reason: 'timeout', cancelled: true });
    expectNothingLeft();
  });

  it('rejects at once with ABORTED when the caller aborts, and aborts every worker signal', async () => {
    const { worker, calls } = scripted<number>({ '*': hang });
    const caller = new AbortController();
    const promise = fanoutOf().run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess(), signal: caller.signal });
    promise.catch(() => {});
    await vi.advanceTimersByTimeAsync(10);
    expect(calls).toHaveLength(3);
    caller.abort();
    await expect(promise).rejects.toMatchObject({ code: 'ABORTED' });
    expect(calls.every((c) => c.call.signal.aborted)).toBe(true);
    expectNothingLeft([caller.signal]);
  });

  it('rejects with ABORTED without calling anyone when the signal is already aborted', async () => {
    const { worker, calls } = scripted<number>({ '*': ok(1) });
    const promise = fanoutOf().run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess(), signal: AbortSignal.abort() });
    await expect(promise).rejects.toMatchObject({ code: 'ABORTED' });
    expect(calls).toHaveLength(0);
  });

  it('passes the deadline to workers and shares it between queued calls', async () => {
    const { worker, calls } = scripted<number>({ '*': ok(1, 600) });
    const now = Date.now();
    const fanout = fanoutOf({ concurrency: 1, deadlineMs: 1000, retry: false });
    const responses = await settle(fanout.collect({ operation: 'get', data: {}, context: {}, worker }));
    expect(calls[0]?.call.deadline).toBe(now + 1000);
    // the first takes 600 ms, the second is cut at the deadline, the third never starts
    expect(responses.successes.map((o) => o.instance.id)).toEqual(['cloud']);
    expect(responses.errors.map((o) => [o.instance.id, o.reason])).toEqual([['enterprise-acme', 'timeout']]);
    expect(responses.skipped.map((o) => [o.instance.id, o.reason])).toEqual([['enterprise-conf', 'deadline']]);
    expectNothingLeft();
  });

  it('removes its listener from the caller signal after a normal finish', async () => {
    const caller = new AbortController();
    const { worker } = scripted<number>({ '*': ok(1, 5) });
    await settle(fanoutOf().run({ operation: 'get', data: {}, context: {}, worker, strategy: mergeAll(), signal: caller.signal }));
    expectNothingLeft([caller.signal]);
  });

  it('ends with DEADLINE_EXCEEDED when the router does not answer before the deadline', async () => {
    const fanout = createFanout({ router: { route: () => new Promise(() => {}) }, deadlineMs: 500 });
    const { worker } = scripted<number>({ '*': ok(1) });
    await expect(settle(fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() }))).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    expectNothingLeft();
  });
});

describe('concurrency', () => {
  it('never runs more than `concurrency` workers at once', async () => {
    let running = 0;
    let peak = 0;
    const instances = Array.from({ length: 10 }, (_, i) => ({ id: `i${i}` }));
    const worker = async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 10));
      running -= 1;
      return 1;
    };
    const responses = await settle(fanOutTo(instances, worker, { concurrency: 3 }));
    expect(peak).toBe(3);
    expect(responses.successes).toHaveLength(10);
  });

  it('ends with NO_INSTANCES when the router returns none', async () => {
    const fanout = createFanout({ router: staticRouter([]) });
    await expect(fanout.run({ operation: 'get', data: {}, context: {}, worker: async () => 1, strategy: firstSuccess() })).rejects.toMatchObject({
      code: 'NO_INSTANCES',
    });
    expectNothingLeft();
  });
});

describe('hooks and report', () => {
  it('calls attempt, retry, outcome and finish hooks with state objects', async () => {
    const seen: string[] = [];
    const fanout = createFanout({
      router: staticRouter([cloud]),
      random: () => 0,
      on: {
        attempt: (s) => seen.push(`attempt ${s.instance.id} #${s.attempt}`),
        retry: (s) => seen.push(`retry ${s.instance.id} after #${s.attempt}`),
        outcome: (s) => seen.push(`outcome ${s.outcome.status}`),
        finish: (s) => seen.push(`finish ${s.report.finishedBy}`),
      },
    });
    const { worker } = scripted<number>({ cloud: [fail(), ok(1)] });
    await settle(fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() }));
    expect(seen).toEqual(['attempt cloud #1', 'retry cloud after #1', 'attempt cloud #2', 'outcome success', 'finish early-finish']);
  });

  it('keeps a call working when a hook throws', async () => {
    const fanout = createFanout({ router: staticRouter([cloud]), on: { outcome: () => { throw new Error('observer bug'); } } });
    const { worker } = scripted<number>({ cloud: ok(1) });
    await expect(settle(fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() }))).resolves.toBe(1);
  });

  it('reports each attempt with offsets, retry delays and cancellation for a waterfall', async () => {
    const fanout = fanoutOf({ random: () => 0.5, timeoutMs: 300, retry: { maxAttempts: 2, baseDelayMs: 200 } });
    const { worker } = scripted<number>({ cloud: [fail('x', 100), ok(1, 50)], 'enterprise-acme': hang, 'enterprise-conf': ok(3, 20) });
    const { report } = await settle(fanout.runDetailed({ operation: 'get', data: {}, context: {}, worker, strategy: mergeAll() }));
    const byId = Object.fromEntries(report.instances.map((i) => [i.instanceId, i]));
    expect(byId['cloud']?.attempts).toEqual([
      { attempt: 1, hedge: false, target: 'cloud', startMs: 0, endMs: 100, result: 'error' },
      { attempt: 2, hedge: false, target: 'cloud', startMs: 200, endMs: 250, result: 'success', retryDelayMs: 100 },
    ]);
    expect(byId['enterprise-acme']?.attempts.map((a) => a.result)).toEqual(['timeout', 'timeout']);
    expect(report.finishedBy).toBe('all-settled');
    expect(report.durationMs).toBe(Math.max(250, 300 + 100 + 300));
  });
});

describe('operation', () => {
  it('defines a reusable operation with its own overrides', async () => {
    const fanout = fanoutOf({ timeoutMs: 5000 });
    const { worker } = scripted<string[]>({ cloud: ok(['a']), 'enterprise-acme': ok(['b'], 2000), 'enterprise-conf': ok(['c']) });
    const search = fanout.operation({ name: 'searchGroups', worker, strategy: mergeAll(), timeoutMs: 1000, retry: false });
    const result = await settle(search({ q: 'eng' }, { user: 'u1' }));
    expect(result).toEqual(['a', 'c']);
  });
});

describe('invalid options', () => {
  it.each([
    [{ timeoutMs: -1 }, '`timeoutMs` to be a finite number > 0, got -1'],
    [{ concurrency: 0 }, '`concurrency` to be an integer >= 1, got 0'],
    [{ deadlineMs: Number.NaN }, '`deadlineMs`'],
    [{ retry: { maxAttempts: 0 } }, '`retry.maxAttempts` to be an integer >= 1, got 0'],
    [{ hedge: {} }, '`hedge`'],
    [{ router: {} }, '`router` to be an InstanceRouter'],
  ])('rejects %j with INVALID_CONFIG naming the field', (options, message) => {
    let thrown: unknown;
    try {
      createFanout({ router: staticRouter([cloud]), ...(options as object) } as FanoutOptions);
    } catch (error) {
      thrown = error;
    }
    expect(isSwitchyardError(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'INVALID_CONFIG' });
    expect((thrown as Error).message).toContain(message);
  });

  it('rejects a strategy without combine with INVALID_CONFIG naming strategy.combine', async () => {
    const fanout = fanoutOf();
    await expect(fanout.run({ operation: 'get', data: {}, context: {}, worker: async () => 1, strategy: {} as never })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('`strategy.combine` to be a function'),
    });
  });

  it('rejects duplicate instance ids naming the index', () => {
    expect(() => staticRouter([cloud, acme, { ...conf, id: 'cloud' }])).toThrow(/`instances.2.id` to be unique/);
  });
});

describe('finish hook on abort', () => {
  it('reports the timeline of an aborted call to on.finish', async () => {
    const reports: string[] = [];
    const fanout = createFanout({
      router: staticRouter(seedInstances),
      on: { finish: (s) => reports.push(`${s.report.finishedBy}:${s.report.instances.map((i) => `${i.instanceId}=${i.attempts.map((a) => a.result).join('/')}`).join(',')}`) },
    });
    const { worker } = scripted<number>({ cloud: ok(1, 10), 'enterprise-acme': hang, 'enterprise-conf': hang });
    const caller = new AbortController();
    const promise = fanout.collect({ operation: 'get', data: {}, context: {}, worker, signal: caller.signal });
    promise.catch(() => {});
    await vi.advanceTimersByTimeAsync(50);
    caller.abort();
    await expect(promise).rejects.toMatchObject({ code: 'ABORTED' });
    expect(reports).toEqual(['aborted:cloud=success,enterprise-acme=cancelled,enterprise-conf=cancelled']);
    expectNothingLeft([caller.signal]);
  });
});

describe('user code that misbehaves', () => {
  it('treats a classifier that throws as a permanent error and still settles', async () => {
    const fanout = createFanout({
      router: staticRouter(seedInstances),
      classify: () => {
        throw new Error('classifier bug');
      },
    });
    const { worker, calls } = scripted<number>({ cloud: fail(), 'enterprise-acme': ok(2), 'enterprise-conf': hang });
    const responses = await settle(fanout.collect({ operation: 'get', data: {}, context: {}, worker, timeoutMs: 100 }));
    expect(responses.successes.map((o) => o.instance.id)).toEqual(['enterprise-acme']);
    expect(responses.errors.map((o) => [o.instance.id, o.reason])).toEqual([
      ['cloud', 'failed'],
      ['enterprise-conf', 'timeout'],
    ]);
    expect(calls.filter((c) => c.instance === 'cloud')).toHaveLength(1);
    expectNothingLeft();
  });

  it.each([
    ['undefined', undefined, 'Expected `route("get")` to be an array'],
    ['a list with null', [null], 'Expected `route("get").0` to be an object'],
    ['an object', { id: 'x' }, 'Expected `route("get")` to be an array'],
  ])('rejects with INVALID_CONFIG naming the field when a router returns %s, without echoing it', async (_name, routed, message) => {
    const fanout = createFanout({ router: { route: async () => routed as never } });
    const error = await settle(fanout.run({ operation: 'get', data: {}, context: {}, worker: async () => 1, strategy: firstSuccess() })).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', message });
    expectNothingLeft();
  });

  it('rejects a synchronous router returning garbage and leaves no timer behind', async () => {
    const caller = new AbortController();
    const fanout = createFanout({ router: { route: () => [null] as never } });
    await expect(fanout.run({ operation: 'get', data: {}, context: {}, worker: async () => 1, strategy: firstSuccess(), signal: caller.signal })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
    expectNothingLeft([caller.signal]);
  });
});

describe('overrides', () => {
  it('refines the fanout retry settings field by field in an operation', async () => {
    const fanout = fanoutOf({ retry: { maxAttempts: 4 }, random: () => 0 });
    const { worker, callsOf } = scripted<number>({ '*': fail() });
    const get = fanout.operation({ name: 'get', worker, strategy: mergeAll(), retry: { baseDelayMs: 10 } });
    await settle(get({}, {})).catch(() => {});
    expect(callsOf('cloud')).toHaveLength(4);
  });

  it('turns retries off for one call with retry: false', async () => {
    const fanout = fanoutOf({ retry: { maxAttempts: 4 } });
    const { worker, callsOf } = scripted<number>({ '*': fail() });
    await settle(fanout.collect({ operation: 'get', data: {}, context: {}, worker, retry: false }));
    expect(callsOf('cloud')).toHaveLength(1);
  });
});

describe('finish hook on failure', () => {
  it("reports a call whose strategy throws in settle to on.finish as 'failed'", async () => {
    const finished: string[] = [];
    const fanout = createFanout({ router: staticRouter(seedInstances), on: { finish: (s) => finished.push(s.report.finishedBy) } });
    const { worker } = scripted<number>({ cloud: ok(1), 'enterprise-acme': hang, 'enterprise-conf': hang });
    const strategy = defineStrategy({
      settle: () => {
        throw new Error('strategy bug');
      },
      combine: (r: Responses<number>) => r.all.length,
    });
    await expect(settle(fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy }))).rejects.toThrow('strategy bug');
    expect(finished).toEqual(['failed']);
    expectNothingLeft();
  });
});
