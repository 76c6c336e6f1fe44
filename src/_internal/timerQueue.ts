import type { Clock } from './clock.js';

/** One call's timers on a single clock timer. */
export interface TimerQueue {
  /** Runs `callback` after `ms`; returns a cancel function. */
  after(ms: number, callback: () => void): () => void;
  /** Runs `callback` at the clock time `at` (for callers that already read the clock). */
  at(at: number, callback: () => void): () => void;
  /** Cancels everything; nothing of this queue stays scheduled. */
  clear(): void;
}

/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2_147_483_647;

interface Entry {
  at: number;
  callback: () => void;
}

/**
 * Multiplexes the timers of one call (deadline, attempt timeouts, backoff, hedges) onto one
 * clock timer armed for the earliest. A fan-out to N instances sets one timer instead of N + 1,
 * which is most of the executor's cost when workers answer at once.
 */
export function createTimerQueue(clock: Clock): TimerQueue {
  const entries = new Set<Entry>();
  /** The entry time the clock timer serves, and the time it fires (earlier for very long waits). */
  let armedAt = Number.POSITIVE_INFINITY;
  let firesAt = Number.POSITIVE_INFINITY;
  let handle: unknown;

  const arm = () => {
    let earliest = Number.POSITIVE_INFINITY;
    for (const entry of entries) if (entry.at < earliest) earliest = entry.at;
    if (earliest === armedAt) return;
    if (handle !== undefined) clock.clearTimeout(handle);
    handle = undefined;
    armedAt = earliest;
    if (earliest === Number.POSITIVE_INFINITY) return;
    const now = clock.now();
    // setTimeout fires at once for delays past 2^31 - 1 ms: wait in steps instead.
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, earliest - now));
    firesAt = now + delay;
    handle = clock.setTimeout(fire, delay);
  };

  const fire = () => {
    const firedFor = firesAt;
    handle = undefined;
    armedAt = Number.POSITIVE_INFINITY;
    // The timer itself is monotonic: what it was armed for is due even if the wall clock stepped
    // back since (NTP), so a deadline cannot be pushed out by a clock change.
    const now = Math.max(clock.now(), firedFor);
    try {
      for (const entry of [...entries]) {
        if (entry.at > now || !entries.has(entry)) continue;
        entries.delete(entry);
        entry.callback();
      }
    } finally {
      arm();
    }
  };

  const at = (time: number, callback: () => void) => {
    const entry = { at: time, callback };
    entries.add(entry);
    if (entry.at < armedAt) arm();
    return () => {
      entries.delete(entry);
    };
  };

  return {
    at,
    after: (ms, callback) => at(clock.now() + ms, callback),
    clear() {
      entries.clear();
      if (handle !== undefined) clock.clearTimeout(handle);
      handle = undefined;
      armedAt = Number.POSITIVE_INFINITY;
    },
  };
}
