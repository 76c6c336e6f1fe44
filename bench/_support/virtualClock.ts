import type { Clock } from '../../dist/index.js';

/**
 * Simulated time for benchmarks: timers run in time order without real sleeping, so a fan-out
 * whose slowest instance takes a simulated second costs microseconds of real time.
 */
export function createVirtualClock() {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; seq: number; callback: () => void }>();
  const clock: Clock = {
    now: () => now,
    setTimeout(callback, ms) {
      seq += 1;
      timers.set(seq, { at: now + Math.max(0, ms), seq, callback });
      return seq;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
  };
  const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

  /** Drives simulated time until `promise` settles. */
  async function run<T>(promise: Promise<T>): Promise<T> {
    let settled = false;
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (;;) {
      await flush();
      if (settled) return promise;
      let next: { at: number; seq: number; callback: () => void } | undefined;
      for (const timer of timers.values()) if (next === undefined || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq)) next = timer;
      if (next === undefined) throw new Error('deadlock: nothing scheduled and the promise is pending');
      now = next.at;
      for (const [id, timer] of [...timers]) {
        if (timer.at !== now) continue;
        timers.delete(id);
        timer.callback();
      }
    }
  }
  return { clock, run, pending: () => timers.size };
}

/** The same seeded PRNG `switchyard/testing` gives users, so a run draws the same latencies every time. */
export { seededRandom as seeded } from '../../dist/testing.js';

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
