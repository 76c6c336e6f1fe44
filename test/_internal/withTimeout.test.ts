import { describe, expect, it, vi } from 'vitest';
import { callEach, callHook } from '../../src/_internal/callHook.js';
import { systemClock } from '../../src/_internal/clock.js';
import { withTimeout } from '../../src/_internal/withTimeout.js';
import { useFakeTimersFromZero } from '../_support/fakeTimers.js';

describe('withTimeout', () => {
  useFakeTimersFromZero();
  const timeoutError = new Error('too slow');

  it('settles with the work when it ends first and leaves no timer', async () => {
    const promise = withTimeout(() => Promise.resolve('ok'), { clock: systemClock, ms: 100, onTimeout: () => timeoutError });
    await expect(promise).resolves.toBe('ok');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with the onTimeout error when time runs out, ignoring a late result', async () => {
    let finish!: (value: string) => void;
    const onTimeout = vi.fn(() => timeoutError);
    const promise = withTimeout(() => new Promise<string>((resolve) => (finish = resolve)), { clock: systemClock, ms: 100, onTimeout });
    const settled = promise.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(99);
    expect(onTimeout).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    finish('late');
    expect(await settled).toBe(timeoutError);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });

  it('handles a rejection that arrives after the timeout', async () => {
    let fail!: (error: unknown) => void;
    const promise = withTimeout(() => new Promise<string>((_, reject) => (fail = reject)), { clock: systemClock, ms: 10, onTimeout: () => timeoutError });
    const settled = promise.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(10);
    fail(new Error('late failure'));
    expect(await settled).toBe(timeoutError);
  });

  it('turns a synchronous throw into a rejection and clears the timer', async () => {
    const broken = new TypeError('bug');
    await expect(withTimeout(() => { throw broken; }, { clock: systemClock, ms: 10, onTimeout: () => timeoutError })).rejects.toBe(broken);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with the signal reason when the signal aborts first, and when onTimeout aborts it', async () => {
    const controller = new AbortController();
    const reason = new Error('caller left');
    const first = withTimeout(() => new Promise(() => {}), { clock: systemClock, ms: 100, signal: controller.signal, onTimeout: () => timeoutError });
    controller.abort(reason);
    await expect(first).rejects.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);

    const owned = new AbortController();
    const aborted = new Error('aborted at the timeout');
    const second = withTimeout(() => new Promise(() => {}), {
      clock: systemClock,
      ms: 5,
      signal: owned.signal,
      onTimeout: () => {
        owned.abort(aborted);
        return timeoutError;
      },
    });
    const settled = second.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(5);
    expect(await settled).toBe(aborted);
  });

  it('does not start work whose signal is already aborted', async () => {
    const start = vi.fn(() => 'never');
    await expect(withTimeout(start, { clock: systemClock, ms: 5, signal: AbortSignal.abort('gone'), onTimeout: () => timeoutError })).rejects.toBe('gone');
    expect(start).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('callHook and callEach', () => {
  it('drop what a hook throws and still call the listeners after it', () => {
    const seen: string[] = [];
    expect(() => callHook(() => { throw new Error('observer bug'); }, 1)).not.toThrow();
    callHook(undefined, 1);
    const listeners = new Set<(state: string) => void>();
    const self = (state: string) => {
      seen.push(`self:${state}`);
      listeners.delete(self);
    };
    listeners.add(() => { throw new Error('first fails'); });
    listeners.add(self);
    listeners.add((state) => seen.push(`last:${state}`));
    callEach(listeners, 'a');
    callEach(listeners, 'b');
    expect(seen).toEqual(['self:a', 'last:a', 'last:b']);
  });
});
