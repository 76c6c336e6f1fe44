import { systemClock, type Clock } from '../_internal/clock.js';
import { createSlidingCounts } from '../_internal/slidingWindow.js';
import { expected, nonNegativeNumber, parseOptions, positiveNumber, ratio, v } from '../_internal/validate.js';
import { DEFAULTS } from './options.js';

export interface BudgetSettings {
  /** Extra attempts allowed as a share of first attempts in the window. @default 0.2 (`DEFAULTS.budget.ratio`) */
  ratio?: number;
  /** Extra attempts always allowed per second of window, so quiet traffic can still retry. @default 10 */
  minPerSecond?: number;
  /** How far back first attempts and withdrawals count. @default 10_000 */
  windowMs?: number;
  /** @default the system clock */
  clock?: Clock;
}

/** One extra-load budget, shared by retries and hedges. */
export interface Budget {
  /** Counts one first attempt: each one earns `ratio` extra attempts. */
  recordRequest(): void;
  /** Takes one extra attempt (retry or hedge) from the budget; false when it is spent. */
  tryWithdraw(): boolean;
}

const REQUESTS = 0;
const WITHDRAWALS = 1;

const schema = v
  .object({
    ratio: ratio.optional(),
    minPerSecond: nonNegativeNumber.optional(),
    windowMs: positiveNumber.optional(),
    clock: expected<Clock>(
      'a Clock ({ now, setTimeout, clearTimeout })',
      (v) => typeof v === 'object' && v !== null && typeof (v as Clock).now === 'function',
    ).optional(),
  });

/**
 * Creates Finagle's RetryBudget: within a sliding window, extra attempts (retries and hedges) may
 * be at most `ratio × first attempts + minPerSecond × window seconds`, so a failing backend gets
 * a bounded share of extra load instead of a retry storm.
 *
 * The window is ten buckets advanced lazily from the clock: memory is fixed and no timer runs.
 *
 * @example
 * const budget = createBudget({ ratio: 0.1 });
 * budget.recordRequest();
 * if (budget.tryWithdraw()) retry();
 */
export function createBudget(settings: BudgetSettings = {}): Budget {
  parseOptions(schema, settings);
  const clock = settings.clock ?? systemClock;
  const share = settings.ratio ?? DEFAULTS.budget.ratio;
  const windowMs = settings.windowMs ?? DEFAULTS.budget.windowMs;
  const reserve = (settings.minPerSecond ?? DEFAULTS.budget.minPerSecond) * (windowMs / 1000);
  const counts = createSlidingCounts(clock, windowMs);

  return {
    recordRequest() {
      counts.add(REQUESTS);
    },
    tryWithdraw() {
      if (counts.sum(WITHDRAWALS) + 1 > share * counts.sum(REQUESTS) + reserve) return false;
      counts.add(WITHDRAWALS);
      return true;
    },
  };
}
