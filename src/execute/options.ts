import { expected, fn, nonNegativeNumber, parseOptions, positiveInteger, positiveNumber, ratio, v } from '../_internal/validate.js';
import type { Classifier } from './classify.js';
import type { Instance } from '../router/types.js';
import type { Failure } from './types.js';

/** Retry settings; `false` turns retries off. */
export interface RetryOptions {
  /** Attempts per instance, counting the first (hedges do not count). @default 2 */
  maxAttempts?: number;
  /** First backoff ceiling; the delay is uniform in [0, ceiling] (full jitter). @default 100 */
  baseDelayMs?: number;
  /** @default 2000 */
  maxDelayMs?: number;
  /** Growth of the ceiling per retry. @default 2 */
  factor?: number;
}

/** Hedging settings: a backup attempt when the first one is slow. Off unless given. */
export interface HedgeOptions {
  /** Start the backup after this many ms. Ignored when `percentile` has enough samples. */
  delayMs?: number;
  /**
   * Adaptive: start the backup at this latency percentile (0..1) observed per instance and
   * operation. Needs a fanout: the standalone `fanOutTo` keeps no history and rejects it.
   */
  percentile?: number;
  /** Samples kept per instance and operation for `percentile`. @default 100 */
  windowSize?: number;
  /** Backups per attempt. @default 1 */
  maxHedges?: number;
}

/**
 * The one extra-load budget for retries and hedges (Finagle's RetryBudget): extra attempts may be
 * at most `ratio` of first attempts in the window, plus `minPerSecond`. `false` removes the cap.
 */
export interface BudgetOptions {
  /** @default 0.2 */
  ratio?: number;
  /** @default 10 */
  minPerSecond?: number;
  /** @default 10_000 */
  windowMs?: number;
}

/** What `shouldRetry` sees about one failed attempt. */
export interface ShouldRetryState {
  operation: string;
  instance: Instance;
  /** The attempt that just failed (1-based, hedges counted). */
  attempt: number;
  error: unknown;
  /** The outcome this instance gets if it is not retried. */
  outcome: Failure;
  /** Whether the work may be repeated (the operation's `idempotent`, else the worker's). */
  idempotent: boolean;
  /** The request provably never reached the instance (connection refused, unknown host). */
  notSent: boolean;
  /** What switchyard decides by itself: retryable, and idempotent or not sent. */
  retry: boolean;
}

/**
 * Decides whether a failed attempt is retried; its answer replaces `state.retry`. `maxAttempts`,
 * the deadline and the retry budget still apply. A function that throws counts as `false`.
 */
export type ShouldRetry = (state: ShouldRetryState) => boolean;

/** Settings shared by every call of a fanout (and overridable per operation). */
export interface ExecutionOptions {
  /** Per-attempt timeout. @default 5000 */
  timeoutMs?: number;
  /** Overall deadline of one call: routing, queueing, attempts, retries and hedges share it. @default 10_000 */
  deadlineMs?: number;
  /** Instances called at once within one call. @default 10 */
  concurrency?: number;
  /** @default { maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 2000, factor: 2 } */
  retry?: RetryOptions | false;
  /** @default false */
  hedge?: HedgeOptions | false;
  /**
   * One budget per fanout, shared by all its calls; an operation or call may pass `false` to run
   * outside it, but cannot give itself a budget of its own.
   * @default { ratio: 0.2, minPerSecond: 10, windowMs: 10_000 }
   */
  budget?: BudgetOptions | false;
  /** Maps a worker's thrown error to an outcome category. @default defaultClassify */
  classify?: Classifier;
  /**
   * Whether the work may be done twice. `false`: never hedged, retried only after a failure that
   * provably happened before sending. See docs/idempotency.md.
   * @default the worker's `idempotent` (httpWorker: by method), else true
   */
  idempotent?: boolean;
  /** Decides per failed attempt whether to retry. @default switchyard's own decision (`state.retry`) */
  shouldRetry?: ShouldRetry;
}

/** Every default in one place. */
export const DEFAULTS = {
  timeoutMs: 5_000,
  deadlineMs: 10_000,
  concurrency: 10,
  retry: { maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 2_000, factor: 2 },
  hedge: { windowSize: 100, maxHedges: 1 },
  budget: { ratio: 0.2, minPerSecond: 10, windowMs: 10_000 },
} as const;

const retrySchema = v.union([
  v.literal(false),
  v.object({
    maxAttempts: positiveInteger.optional(),
    baseDelayMs: nonNegativeNumber.optional(),
    maxDelayMs: nonNegativeNumber.optional(),
    factor: expected<number>('a number >= 1', (v) => typeof v === 'number' && v >= 1).optional(),
  }),
]);

const hedgeSchema = v.union([
  v.literal(false),
  v.object({
    delayMs: nonNegativeNumber.optional(),
    percentile: expected<number>('a number between 0 and 1 (exclusive)', (v) => typeof v === 'number' && v > 0 && v < 1).optional(),
    windowSize: positiveInteger.optional(),
    maxHedges: positiveInteger.optional(),
  }).refine((h) => h.delayMs !== undefined || h.percentile !== undefined, {
    message: 'an object with `delayMs` or `percentile`',
  }),
]);

const budgetSchema = v.union([
  v.literal(false),
  v.object({
    ratio: ratio.optional(),
    minPerSecond: nonNegativeNumber.optional(),
    windowMs: positiveNumber.optional(),
  }),
]);

export const executionSchema = v.object({
  timeoutMs: positiveNumber.optional(),
  deadlineMs: positiveNumber.optional(),
  concurrency: positiveInteger.optional(),
  retry: retrySchema.optional(),
  hedge: hedgeSchema.optional(),
  budget: budgetSchema.optional(),
  classify: fn<Classifier>().optional(),
  idempotent: v.boolean().optional(),
  shouldRetry: fn<ShouldRetry>().optional(),
});

export function validateExecutionOptions(options: unknown, prefix: string): void {
  parseOptions(executionSchema.passthrough(), options, prefix);
}
