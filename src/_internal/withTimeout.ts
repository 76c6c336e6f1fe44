import type { Clock } from './clock.js';

/** How {@link withTimeout} bounds a piece of work. */
export interface TimeoutOptions {
  clock: Clock;
  /** How long the work may take, in ms. */
  ms: number;
  /**
   * Called once when `ms` pass first; returns the error the promise rejects with. It may abort the
   * work's controller (the `signal` below): the promise then rejects with that signal's reason.
   */
  onTimeout: () => unknown;
  /** When it aborts first, the promise rejects at once with its reason and the timer is cleared. */
  signal?: AbortSignal;
}

/**
 * Runs `start` and settles with its result, or rejects when `ms` pass or `signal` aborts first.
 *
 * Every bounded wait in switchyard (store commands, route-table loads, health checks) goes
 * through here, so each holds exactly one timer, cleared when it settles; a result that arrives
 * late is ignored and a late rejection is handled, never left unhandled. `start` throwing counts
 * as a rejection.
 */
export function withTimeout<T>(start: () => T | PromiseLike<T>, options: TimeoutOptions): Promise<T> {
  const { clock, signal } = options;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    const onAbort = () => {
      if (finish()) reject(signal!.reason);
    };
    const timer = clock.setTimeout(() => {
      if (done) return;
      const error = options.onTimeout();
      if (finish()) reject(error);
    }, options.ms);
    if (signal !== undefined) {
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
    }
    let pending: PromiseLike<T>;
    try {
      pending = Promise.resolve(start());
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (value) => {
        if (finish()) resolve(value);
      },
      (error: unknown) => {
        if (finish()) reject(error);
      },
    );
  });
}
