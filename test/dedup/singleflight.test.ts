import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDedup as createDedup } from '../../src/dedup/index.js';
import { isSwitchyardError } from '../../src/errors/SwitchyardError.js';
import { abortListeners, deferred, flush } from './_support.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});

const input = (principal: string | undefined, params: unknown = { q: 'dashboards' }) => ({
  operation: 'search',
  principal,
  data: params,
});

describe('in-flight sharing', () => {
  it('runs 1,000 concurrent identical calls once, and answers the 1,001st from the cache', async () => {
    const events: string[] = [];
    const dedup = createDedup({
      ttlMs: 30_000,
      on: { miss: () => events.push('miss'), join: () => events.push('join'), hit: () => events.push('hit') },
    });
    let executions = 0;
    const gate = deferred<void>();
    const execute = async () => {
      executions += 1;
      await gate.promise;
      return { rows: [1, 2, 3] };
    };
    const calls = Array.from({ length: 1_000 }, () => dedup.run(input('alice'), execute));
    await flush();
    gate.resolve();
    const results = await Promise.all(calls);
    expect(executions).toBe(1);
    expect(new Set(results).size).toBe(1_000);
    expect(results.every((r) => r.rows.length === 3 && r.rows[2] === 3)).toBe(true);

    await vi.advanceTimersByTimeAsync(29_000);
    expect(await dedup.run(input('alice'), execute)).toEqual({ rows: [1, 2, 3] });
    expect(executions).toBe(1);
    expect(events.filter((e) => e === 'miss')).toHaveLength(1);
    expect(events.filter((e) => e === 'join')).toHaveLength(999);
    expect(events.filter((e) => e === 'hit')).toHaveLength(1);
  });

  it('never gives one principal the result of another, over 500 interleaved concurrent calls each', async () => {
    const dedup = createDedup({ ttlMs: 30_000 });
    const executedFor: string[] = [];
    const gate = deferred<void>();
    const executeFor = (who: string) => async () => {
      executedFor.push(who);
      await gate.promise;
      return { owner: who };
    };
    const calls: Promise<{ who: string; got: { owner: string } }>[] = [];
    for (let i = 0; i < 500; i += 1) {
      for (const who of ['alice', 'bob']) {
        calls.push(dedup.run(input(who), executeFor(who)).then((got) => ({ who, got })));
      }
    }
    await flush();
    gate.resolve();
    const results = await Promise.all(calls);
    expect(executedFor.sort()).toEqual(['alice', 'bob']);
    expect(results.filter(({ who, got }) => got.owner !== who)).toEqual([]);
  });

  it('never serves a principal the cached result of another principal', async () => {
    const dedup = createDedup({ ttlMs: 30_000 });
    await dedup.run(input('alice'), async () => 'alice-secret');
    let executed = false;
    const bob = await dedup.run(input('bob'), async () => {
      executed = true;
      return 'bob-data';
    });
    expect(bob).toBe('bob-data');
    expect(executed).toBe(true);
  });

  it('does not share or cache calls that have no principal, and reports each bypass', async () => {
    const bypasses: unknown[] = [];
    const dedup = createDedup({ ttlMs: 30_000, on: { bypass: (state) => bypasses.push(state) } });
    let executions = 0;
    const execute = async () => ++executions;
    const results = await Promise.all([dedup.run(input(undefined), execute), dedup.run(input(undefined), execute)]);
    await dedup.run(input(undefined), execute);
    expect(results.sort()).toEqual([1, 2]);
    expect(executions).toBe(3);
    expect(bypasses).toEqual([
      { operation: 'search', reason: 'no-principal' },
      { operation: 'search', reason: 'no-principal' },
      { operation: 'search', reason: 'no-principal' },
    ]);
  });

  it('treats an empty-string principal as no principal', async () => {
    const dedup = createDedup({ ttlMs: 30_000 });
    let executions = 0;
    const execute = async () => ++executions;
    await Promise.all([dedup.run(input(''), execute), dedup.run(input(''), execute)]);
    expect(executions).toBe(2);
  });

  it('shares calls with no principal when the operation says shared, but never with a principal', async () => {
    const dedup = createDedup();
    let executions = 0;
    const gate = deferred<void>();
    const execute = async () => {
      executions += 1;
      await gate.promise;
      return executions;
    };
    const shared = [1, 2, 3].map(() => dedup.run({ ...input(undefined), shared: true }, execute));
    const alice = dedup.run(input('alice'), execute);
    await flush();
    gate.resolve();
    expect(await Promise.all(shared)).toEqual([2, 2, 2]);
    expect(await alice).toBe(2);
    expect(executions).toBe(2);
  });

  it('lets `key` replace the params part while the principal part stays', async () => {
    const dedup = createDedup({ ttlMs: 30_000 });
    const key = (params: unknown) => (params as { id: number }).id;
    const owners: string[] = [];
    const run = (principal: string, params: unknown) =>
      dedup.run({ ...input(principal, params), key }, async () => {
        owners.push(principal);
        return principal;
      });
    expect(await run('alice', { id: 1, traceId: 'a' })).toBe('alice');
    expect(await run('alice', { id: 1, traceId: 'b' })).toBe('alice');
    expect(await run('bob', { id: 1, traceId: 'a' })).toBe('bob');
    expect(owners).toEqual(['alice', 'bob']);
  });

  it('never shares between operations with identical params', async () => {
    const dedup = createDedup();
    const a = dedup.run({ ...input('alice'), operation: 'a' }, async () => 'a');
    const b = dedup.run({ ...input('alice'), operation: 'b' }, async () => 'b');
    expect([await a, await b]).toEqual(['a', 'b']);
  });

  it('rejects params it cannot key with INVALID_INPUT, without executing', async () => {
    const dedup = createDedup();
    let executed = false;
    await expect(
      dedup.run(input('alice', { cb: () => 1 }), async () => {
        executed = true;
      }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(executed).toBe(false);
  });
});

describe('errors', () => {
  it('delivers one error to every waiter of the flight and does not keep it', async () => {
    const dedup = createDedup({ ttlMs: 30_000 });
    const failure = new Error('backend down');
    let executions = 0;
    const gate = deferred<void>();
    const failing = async () => {
      executions += 1;
      await gate.promise;
      throw failure;
    };
    const calls = [1, 2, 3].map(() => dedup.run(input('alice'), failing).catch((error: unknown) => error));
    await flush();
    gate.resolve();
    expect(await Promise.all(calls)).toEqual([failure, failure, failure]);
    expect(await dedup.run(input('alice'), async () => 'recovered')).toBe('recovered');
    expect(executions).toBe(1);
  });

  it('delivers an error thrown synchronously by execute as a rejection', async () => {
    const dedup = createDedup();
    const failure = new Error('sync');
    await expect(
      dedup.run(input('alice'), () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
  });
});

describe('abort', () => {
  it('rejects only the waiter that aborts, with ABORTED, while execute keeps running for the others', async () => {
    const dedup = createDedup();
    let seen: AbortSignal | undefined;
    const gate = deferred<void>();
    const execute = async (signal: AbortSignal) => {
      seen = signal;
      await gate.promise;
      return 'value';
    };
    const leaving = new AbortController();
    const first = dedup.run({ ...input('alice'), signal: leaving.signal }, execute);
    const second = dedup.run({ ...input('alice'), signal: new AbortController().signal }, execute);
    const third = dedup.run(input('alice'), execute);
    await flush();
    leaving.abort(new Error('client went away'));
    await expect(first).rejects.toSatisfy((e: unknown) => isSwitchyardError(e) && e.code === 'ABORTED');
    expect(seen?.aborted).toBe(false);
    gate.resolve();
    expect([await second, await third]).toEqual(['value', 'value']);
    expect(seen?.aborted).toBe(false);
  });

  it('aborts the shared execution only when every waiter has left, and execute sees it', async () => {
    const dedup = createDedup();
    const observed: { aborted: boolean; reason?: unknown }[] = [];
    const execute = (signal: AbortSignal) =>
      new Promise<string>((_, reject) => {
        signal.addEventListener('abort', () => {
          observed.push({ aborted: signal.aborted, reason: signal.reason });
          reject(signal.reason);
        });
      });
    const controllers = [new AbortController(), new AbortController()];
    const calls = controllers.map((c) => dedup.run({ ...input('alice'), signal: c.signal }, execute).catch((e: unknown) => e));
    await flush();
    controllers[0]!.abort('first left');
    await flush();
    expect(observed).toEqual([]);
    controllers[1]!.abort('last left');
    const errors = await Promise.all(calls);
    expect(errors.map((e) => (e as { code: string }).code)).toEqual(['ABORTED', 'ABORTED']);
    expect(observed).toEqual([{ aborted: true, reason: 'last left' }]);
  });

  it('starts a fresh execution for a caller that comes after every waiter left', async () => {
    const dedup = createDedup();
    const signals: AbortSignal[] = [];
    const execute = async (signal: AbortSignal) => {
      signals.push(signal);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return signals.length;
    };
    const leaving = new AbortController();
    const first = dedup.run({ ...input('alice'), signal: leaving.signal }, execute).catch(() => 'left');
    await flush();
    leaving.abort();
    expect(await first).toBe('left');
    const second = dedup.run(input('alice'), execute);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await second).toBe(2);
    expect(signals.map((s) => s.aborted)).toEqual([true, false]);
  });

  it('rejects a call whose signal is already aborted without executing', async () => {
    const dedup = createDedup();
    let executed = false;
    await expect(
      dedup.run({ ...input('alice'), signal: AbortSignal.abort() }, async () => {
        executed = true;
      }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(executed).toBe(false);
  });

  it('aborts a bypassed call for its one caller, and execute sees it', async () => {
    const dedup = createDedup();
    let seen: AbortSignal | undefined;
    const controller = new AbortController();
    const call = dedup.run({ ...input(undefined), signal: controller.signal }, (signal) => {
      seen = signal;
      return new Promise<never>(() => {});
    });
    await flush();
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    expect(seen?.aborted).toBe(true);
  });

  it('leaves no abort listener on any caller signal once the calls settle', async () => {
    const dedup = createDedup({ ttlMs: 1_000 });
    const signals = Array.from({ length: 10 }, () => new AbortController().signal);
    await Promise.all(signals.map((signal) => dedup.run({ ...input('alice'), signal }, async () => 'v')));
    await Promise.all(signals.map((signal) => dedup.run({ ...input('alice'), signal }, async () => 'v')));
    await Promise.all(signals.map((signal) => dedup.run({ ...input(undefined), signal }, async () => 'v')));
    const failing = signals.map((signal) => dedup.run({ ...input('bob'), signal }, async () => Promise.reject(new Error('x'))));
    await Promise.allSettled(failing);
    expect(signals.map(abortListeners)).toEqual(signals.map(() => 0));
  });
});
