import type { Clock } from './clock.js';

const BUCKETS = 10;

/** Two counts (e.g. successes and failures) over the last `windowMs`. */
export interface SlidingCounts {
  add(series: 0 | 1): void;
  sum(series: 0 | 1): number;
  clear(): void;
}

/**
 * Counts over a sliding window kept in ten buckets and advanced lazily from the clock: memory is
 * fixed, no timer runs, and the window is accurate to a tenth of `windowMs`. Shared by the
 * failure-ratio breaker and the extra-load budget.
 */
export function createSlidingCounts(clock: Clock, windowMs: number): SlidingCounts {
  const bucketMs = windowMs / BUCKETS;
  const counts = [new Float64Array(BUCKETS), new Float64Array(BUCKETS)] as const;
  const sums = [0, 0];
  let current = Math.floor(clock.now() / bucketMs);

  const clear = () => {
    counts[0].fill(0);
    counts[1].fill(0);
    sums[0] = 0;
    sums[1] = 0;
  };
  const advance = () => {
    const now = Math.floor(clock.now() / bucketMs);
    // A clock that steps back keeps the current bucket rather than reusing old ones.
    if (now <= current) return;
    if (now - current >= BUCKETS) clear();
    else {
      for (let bucket = current + 1; bucket <= now; bucket += 1) {
        const slot = bucket % BUCKETS;
        for (const series of [0, 1] as const) {
          sums[series]! -= counts[series][slot]!;
          counts[series][slot] = 0;
        }
      }
    }
    current = now;
  };

  return {
    add(series) {
      advance();
      counts[series][current % BUCKETS]! += 1;
      sums[series]! += 1;
    },
    sum(series) {
      advance();
      return sums[series]!;
    },
    clear() {
      clear();
      current = Math.floor(clock.now() / bucketMs);
    },
  };
}
