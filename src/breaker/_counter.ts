import type { Clock } from '../_internal/clock.js';
import type { BreakerPolicy, BreakerTransitionReason } from './types.js';

/** Counts a closed breaker's outcomes; `failure()` says whether (and why) it should open. */
export interface FailureCounter {
  success(): void;
  failure(): BreakerTransitionReason | undefined;
  reset(): void;
}

export function createCounter(policy: BreakerPolicy, clock: Clock): FailureCounter {
  return policy.kind === 'consecutive' ? consecutiveCounter(policy.threshold) : ratioCounter(policy, clock);
}

function consecutiveCounter(threshold: number): FailureCounter {
  let failures = 0;
  return {
    success() {
      failures = 0;
    },
    failure() {
      failures += 1;
      return failures >= threshold ? 'consecutive-failures' : undefined;
    },
    reset() {
      failures = 0;
    },
  };
}

const BUCKETS = 10;

/**
 * A sliding window in ten buckets, advanced lazily from the clock: memory is fixed and no timer
 * runs. The window is accurate to a tenth of `windowMs`.
 */
function ratioCounter(policy: { threshold: number; windowMs: number; minThroughput: number }, clock: Clock): FailureCounter {
  const bucketMs = policy.windowMs / BUCKETS;
  const successes = new Uint32Array(BUCKETS);
  const failures = new Uint32Array(BUCKETS);
  let current = Math.floor(clock.now() / bucketMs);
  let successSum = 0;
  let failureSum = 0;

  const clear = () => {
    successes.fill(0);
    failures.fill(0);
    successSum = 0;
    failureSum = 0;
  };
  const advance = () => {
    const now = Math.floor(clock.now() / bucketMs);
    if (now <= current) return;
    if (now - current >= BUCKETS) clear();
    else {
      for (let bucket = current + 1; bucket <= now; bucket += 1) {
        const slot = bucket % BUCKETS;
        successSum -= successes[slot]!;
        failureSum -= failures[slot]!;
        successes[slot] = 0;
        failures[slot] = 0;
      }
    }
    current = now;
  };

  return {
    success() {
      advance();
      successes[current % BUCKETS]! += 1;
      successSum += 1;
    },
    failure() {
      advance();
      failures[current % BUCKETS]! += 1;
      failureSum += 1;
      const total = successSum + failureSum;
      return total >= policy.minThroughput && failureSum / total >= policy.threshold ? 'failure-ratio' : undefined;
    },
    reset() {
      clear();
      current = Math.floor(clock.now() / bucketMs);
    },
  };
}
