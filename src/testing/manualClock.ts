import type { Clock } from '../_internal/clock.js';

/** A clock that only moves when told to, for tests that do not use vitest's fake timers. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, running every timer that falls due on the way, in order. */
  advance(ms: number): void;
  /**
   * Like `advance`, but lets promise callbacks run after each timer, so async code that sets its
   * next timer after an `await` is driven too.
   */
  advanceAsync(ms: number): Promise<void>;
  /** Runs timers (including ones they set) until none is left; throws past `limit` timers. */
  runAll(limit?: number): void;
  /** Timers set and not yet run or cleared. */
  pending(): number;
}

interface Timer {
  id: number;
  at: number;
  callback: () => void;
}

/**
 * Creates a manual clock to pass as any switchyard `clock` option: time starts at `start` and
 * moves only through `advance`, `advanceAsync` or `runAll`, so timeouts, backoff and breaker
 * durations are tested in microseconds of real time.
 *
 * @example
 * const clock = createManualClock();
 * const breakers = createBreakers({ clock, openMs: 1_000 });
 * clock.advance(1_000);
 */
export function createManualClock(start = 0): ManualClock {
  let now = start;
  let nextId = 1;
  const timers = new Map<number, Timer>();

  const due = (until: number): Timer | undefined => {
    let first: Timer | undefined;
    for (const timer of timers.values()) {
      if (timer.at <= until && (first === undefined || timer.at < first.at || (timer.at === first.at && timer.id < first.id))) first = timer;
    }
    return first;
  };
  const fire = (timer: Timer) => {
    timers.delete(timer.id);
    now = Math.max(now, timer.at);
    timer.callback();
  };
  const check = (ms: number) => {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`Expected \`ms\` to be a finite number >= 0, got ${ms}`);
  };

  return {
    now: () => now,
    setTimeout(callback, ms) {
      const id = nextId;
      nextId += 1;
      timers.set(id, { id, at: now + Math.max(0, Number.isFinite(ms) ? ms : 0), callback });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      check(ms);
      const until = now + ms;
      for (let timer = due(until); timer !== undefined; timer = due(until)) fire(timer);
      now = until;
    },
    async advanceAsync(ms) {
      check(ms);
      const until = now + ms;
      await macrotask();
      for (let timer = due(until); timer !== undefined; timer = due(until)) {
        fire(timer);
        await macrotask();
      }
      now = until;
    },
    runAll(limit = 10_000) {
      for (let ran = 0, timer = due(Number.POSITIVE_INFINITY); timer !== undefined; timer = due(Number.POSITIVE_INFINITY)) {
        ran += 1;
        if (ran > limit) throw new Error(`runAll stopped after ${limit} timers: a timer keeps setting another`);
        fire(timer);
      }
    },
    pending: () => timers.size,
  };
}

/** Waits one turn of the real event loop, after every queued promise callback has run. */
function macrotask(): Promise<void> {
  return new Promise((resolve) => {
    const { setImmediate } = globalThis as { setImmediate?: (callback: () => void) => unknown };
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else globalThis.setTimeout(resolve, 0);
  });
}
