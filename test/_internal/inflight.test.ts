import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { createInflight, type Flight } from '../../src/_internal/inflight.js';
import { useFakeTimersFromZero } from '../_support/fakeTimers.js';

useFakeTimersFromZero();

interface Gate<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function gate<T>(): Gate<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
}

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

describe('createInflight', () => {
  it('runs one load for concurrent callers of a key and gives each the value', async () => {
    const inflight = createInflight<string, number>();
    const done = gate<number>();
    const load = vi.fn(() => done.promise);
    const answers = Promise.all([inflight.run('k', load), inflight.run('k', load), inflight.run('k', load)]);
    expect(inflight.waiters('k')).toBe(3);
    done.resolve(7);
    expect(await answers).toEqual([7, 7, 7]);
    expect([load.mock.calls.length, inflight.size]).toEqual([1, 0]);
  });

  it('starts a new load for a caller that comes after the flight settled', async () => {
    const inflight = createInflight<string, number>();
    let calls = 0;
    const load = async () => (calls += 1);
    expect(await inflight.run('k', load)).toBe(1);
    expect(await inflight.run('k', load)).toBe(2);
  });

  it('keeps different keys apart', async () => {
    const inflight = createInflight<string, string>();
    const answers = await Promise.all([inflight.run('a', async () => 'for a'), inflight.run('b', async () => 'for b')]);
    expect(answers).toEqual(['for a', 'for b']);
  });

  it('rejects only the waiter that aborts; the load keeps running for the others', async () => {
    const inflight = createInflight<string, string>({ abortError: (reason) => new Error(`left: ${String(reason)}`) });
    const done = gate<string>();
    let seen: Flight | undefined;
    const leaving = new AbortController();
    const first = inflight.run('k', (flight) => {
      seen = flight;
      return done.promise;
    }, { signal: leaving.signal });
    const second = inflight.run('k', () => done.promise);
    leaving.abort('bye');
    await expect(first).rejects.toThrow('left: bye');
    expect([seen!.aborted, inflight.waiters('k')]).toEqual([false, 1]);
    done.resolve('value');
    expect(await second).toBe('value');
    expect(listeners(leaving.signal)).toBe(0);
  });

  it("aborts the load's signal with the last reason once every waiter has left, and frees the key", async () => {
    const inflight = createInflight<string, string>();
    const loads: Flight[] = [];
    const load = (flight: Flight) => {
      loads.push(flight);
      return new Promise<string>(() => {});
    };
    const a = new AbortController();
    const b = new AbortController();
    const first = inflight.run('k', load, { signal: a.signal });
    const second = inflight.run('k', load, { signal: b.signal });
    a.abort('a left');
    expect(loads[0]!.signal.aborted).toBe(false);
    b.abort('b left');
    await expect(first).rejects.toBe('a left');
    await expect(second).rejects.toBe('b left');
    expect([loads[0]!.signal.aborted, loads[0]!.signal.reason, loads[0]!.current, inflight.has('k')]).toEqual([true, 'b left', false, false]);
    void inflight.run('k', load);
    expect(loads.length).toBe(2);
    expect([listeners(a.signal), listeners(b.signal)]).toEqual([0, 0]);
  });

  it('rejects a caller whose signal is already aborted without loading', async () => {
    const inflight = createInflight<string, number>();
    const load = vi.fn(async () => 1);
    await expect(inflight.run('k', load, { signal: AbortSignal.abort('early') })).rejects.toBe('early');
    expect(load).not.toHaveBeenCalled();
  });

  it('fails the flight at the timeout even when the load ignores its signal, and clears its timer', async () => {
    const inflight = createInflight<string, string>({ timeoutMs: 500, timeoutError: (key) => new Error(`${key} timed out`) });
    let seen: Flight | undefined;
    const answer = inflight.run('k', (flight) => {
      seen = flight;
      return new Promise<string>(() => {});
    });
    const settled = answer.then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    await vi.advanceTimersByTimeAsync(499);
    expect(inflight.has('k')).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled).toBe('k timed out');
    expect([seen!.signal.aborted, (seen!.signal.reason as Error).message, inflight.has('k')]).toEqual([true, 'k timed out', false]);
  });

  it('clears the timer as soon as the load settles', async () => {
    const inflight = createInflight<string, string>({ timeoutMs: 500 });
    const done = gate<string>();
    const answer = inflight.run('k', () => done.promise);
    expect(vi.getTimerCount()).toBe(1);
    done.resolve('ok');
    expect(await answer).toBe('ok');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gives every waiter the error of a load that throws synchronously, and frees the key', async () => {
    const inflight = createInflight<string, number>();
    const error = new Error('boom');
    const load = () => {
      throw error;
    };
    const answers = [inflight.run('k', load), inflight.run('k', load)];
    for (const answer of answers) await expect(answer).rejects.toBe(error);
    expect(inflight.has('k')).toBe(false);
  });

  it('gives every waiter the error of a load that rejects', async () => {
    const inflight = createInflight<string, number>();
    const done = gate<number>();
    const answers = [inflight.run('k', () => done.promise), inflight.run('k', () => done.promise)];
    done.reject(new Error('db down'));
    for (const answer of answers) await expect(answer).rejects.toThrow('db down');
  });

  it('leaves no listener on any caller signal once the flight settles', async () => {
    const inflight = createInflight<string, number>();
    const signals = [new AbortController().signal, new AbortController().signal];
    const done = gate<number>();
    const answers = signals.map((signal) => inflight.run('k', () => done.promise, { signal }));
    expect(signals.map(listeners)).toEqual([1, 1]);
    done.resolve(1);
    await Promise.all(answers);
    expect(signals.map(listeners)).toEqual([0, 0]);
  });

  it('hands the value to each waiter through share, first waiter first', async () => {
    const inflight = createInflight<string, string>();
    const done = gate<string>();
    const share = (value: string, index: number) => `${value}#${index}`;
    const answers = Promise.all([inflight.run('k', () => done.promise, { share }), inflight.run('k', () => done.promise)]);
    done.resolve('v');
    expect(await answers).toEqual(['v#0', 'v#1']);
  });

  it('runs a solo load for its one caller, never joined by others', async () => {
    const inflight = createInflight<string, number>();
    const load = vi.fn(async () => 1);
    await Promise.all([inflight.solo(load), inflight.solo(load)]);
    expect([load.mock.calls.length, inflight.size]).toEqual([2, 0]);
  });

  describe('stale-while-revalidate', () => {
    it('starts one background refresh per key; nobody leaving aborts it and later callers join it', async () => {
      const inflight = createInflight<string, string>();
      const done = gate<string>();
      let seen: Flight | undefined;
      const load = vi.fn((flight: Flight) => {
        seen = flight;
        return done.promise;
      });
      expect(inflight.refresh('k', load)).toBe(true);
      expect(inflight.refresh('k', load)).toBe(false);
      const leaving = new AbortController();
      const joined = inflight.run('k', load, { signal: leaving.signal });
      leaving.abort('gone');
      await expect(joined).rejects.toBe('gone');
      expect(seen!.aborted).toBe(false);
      const staying = inflight.run('k', load);
      done.resolve('fresh');
      expect([await staying, load.mock.calls.length]).toEqual(['fresh', 1]);
    });

    it('turns a failed refresh into the stale value through recover, so the failure evicts nothing', async () => {
      const stale = new Map([['k', 'old']]);
      const seen: unknown[] = [];
      const inflight = createInflight<string, string>({
        recover: (key, error) => {
          seen.push(error);
          const last = stale.get(key);
          if (last === undefined) throw error;
          return last;
        },
      });
      inflight.refresh('k', async () => {
        throw new Error('db down');
      });
      await flush();
      expect([stale.get('k'), (seen[0] as Error).message, inflight.has('k')]).toEqual(['old', 'db down', false]);
      await expect(inflight.run('other', async () => Promise.reject(new Error('no table')))).rejects.toThrow('no table');
    });

    it('leaves no unhandled rejection when a background refresh fails without recover', async () => {
      const inflight = createInflight<string, string>();
      inflight.refresh('k', async () => {
        throw new Error('nobody waits');
      });
      await flush();
      expect(inflight.has('k')).toBe(false);
    });
  });

  describe('detach, replace and clear', () => {
    it('detaches a flight: its waiters still get its value, later callers start afresh', async () => {
      const inflight = createInflight<string, string>();
      const old = gate<string>();
      let seen: Flight | undefined;
      const first = inflight.run('k', (flight) => {
        seen = flight;
        return old.promise;
      });
      expect(inflight.detach('k')).toBe(true);
      expect([seen!.current, seen!.aborted]).toEqual([false, false]);
      const second = inflight.run('k', async () => 'new');
      old.resolve('old');
      expect([await first, await second]).toEqual(['old', 'new']);
      expect(inflight.detach('k')).toBe(false);
    });

    it('aborts a detached flight when given a reason', () => {
      const inflight = createInflight<string, string>();
      let seen: Flight | undefined;
      void inflight
        .run('k', (flight) => {
          seen = flight;
          return new Promise<string>((_resolve, reject) => flight.signal.addEventListener('abort', () => reject(flight.signal.reason)));
        })
        .catch(() => {});
      inflight.detach('k', 'invalidated');
      expect([seen!.aborted, seen!.signal.reason]).toEqual([true, 'invalidated']);
    });

    it('replaces a running flight: the old one aborts and its waiters get the new value', async () => {
      const inflight = createInflight<string, string>();
      const flights: Flight[] = [];
      const first = inflight.run('k', (flight) => {
        flights.push(flight);
        return new Promise<string>(() => {});
      });
      expect(inflight.replace('k', async (flight) => {
        flights.push(flight);
        return 'replacement';
      }, 'superseded')).toBe(true);
      expect(await first).toBe('replacement');
      expect([flights[0]!.signal.reason, flights[0]!.current, flights.length]).toEqual(['superseded', false, 2]);
      expect(inflight.replace('k', async () => 'none', 'x')).toBe(false);
    });

    it('clears every flight, aborting each; with a timeout their waiters reject at once', async () => {
      const inflight = createInflight<string, string>({ timeoutMs: 1_000 });
      const hang = () => new Promise<string>(() => {});
      const answers = [inflight.run('a', hang), inflight.run('b', hang)];
      inflight.clear(new Error('cleared'));
      for (const answer of answers) await expect(answer).rejects.toThrow('cleared');
      expect(inflight.size).toBe(0);
    });
  });
});
