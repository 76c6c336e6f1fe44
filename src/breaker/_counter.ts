import type { Clock } from '../_internal/clock.js';
import { createSlidingCounts } from '../_internal/slidingWindow.js';
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

/** The failure share over a sliding window, opening only with at least `minThroughput` outcomes in it. */
function ratioCounter(policy: { threshold: number; windowMs: number; minThroughput: number }, clock: Clock): FailureCounter {
  const counts = createSlidingCounts(clock, policy.windowMs);
  return {
    success() {
      counts.add(0);
    },
    failure() {
      counts.add(1);
      const failures = counts.sum(1);
      const total = counts.sum(0) + failures;
      return total >= policy.minThroughput && failures / total >= policy.threshold ? 'failure-ratio' : undefined;
    },
    reset() {
      counts.clear();
    },
  };
}
