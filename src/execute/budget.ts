import { systemClock, type Clock } from '../_internal/clock.js';

export interface BudgetSettings {
  /** Extra attempts allowed as a share of first attempts in the window. @default 0.2 */
  ratio: number;
  /** Extra attempts always allowed per second, so low traffic can still retry. @default 10 */
  minPerSecond: number;
  /** @default 10_000 */
  windowMs: number;
  clock?: Clock;
}

export interface Budget {
  /** Counts one first attempt. */
  recordRequest(): void;
  /** Takes one extra attempt (retry or hedge) from the budget; false when it is spent. */
  tryWithdraw(): boolean;
}

/**
 * Finagle's RetryBudget: within a sliding window, extra attempts may be at most
 * `ratio × first attempts + minPerSecond × window seconds`. Counts are kept in one-second buckets,
 * so memory is bounded and no timer runs.
 */
export function createBudget(settings: BudgetSettings): Budget {
  const clock = settings.clock ?? systemClock;
  const bucketMs = Math.min(1000, settings.windowMs);
  const size = Math.max(1, Math.ceil(settings.windowMs / bucketMs));
  const requests = new Float64Array(size);
  const withdrawals = new Float64Array(size);
  const reserve = settings.minPerSecond * (settings.windowMs / 1000);
  let current = Math.floor(clock.now() / bucketMs);
  let requestSum = 0;
  let withdrawalSum = 0;

  const advance = () => {
    const now = Math.floor(clock.now() / bucketMs);
    if (now === current) return;
    const steps = Math.min(size, now - current);
    for (let step = 1; step <= steps; step += 1) {
      const slot = (current + step) % size;
      requestSum -= requests[slot]!;
      withdrawalSum -= withdrawals[slot]!;
      requests[slot] = 0;
      withdrawals[slot] = 0;
    }
    current = now;
  };

  return {
    recordRequest() {
      advance();
      requests[current % size]! += 1;
      requestSum += 1;
    },
    tryWithdraw() {
      advance();
      if (withdrawalSum + 1 > settings.ratio * requestSum + reserve) return false;
      withdrawals[current % size]! += 1;
      withdrawalSum += 1;
      return true;
    },
  };
}
