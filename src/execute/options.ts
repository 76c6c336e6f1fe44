import type { Clock } from '../_internal/clock.js';
import { clockSchema, expected, fn, nonNegativeNumber, parseOptions, positiveInteger, positiveNumber, ratio, v } from '../_internal/validate.js';
import type { InstanceRouter } from '../router/types.js';
import type { Classifier } from './classify.js';
import type { BreakerOptions, Breakers } from '../breaker/index.js';
import type { Dedup, DedupOptions } from '../dedup/index.js';
import type { Store } from '../stores/types.js';
import type { FanoutHooks } from './hooks.js';
import type { Instance } from '../router/types.js';
import type { Failure } from './types.js';
import type { ContextHooks } from './contextHooks.js';

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

export interface FanoutOptions<Data = unknown, Ctx = unknown> extends ExecutionOptions {
  router: InstanceRouter<Data, Ctx>;
  /** The principal (user, tenant) a call acts for; keys dedup and caches. */
  principal?: (context: Ctx) => string | undefined;
  /** Time source for every timer and timestamp. @default system clock */
  clock?: Clock;
  /** Random source for jitter, in [0, 1). @default Math.random */
  random?: () => number;
  /** Observers of every call; each state also carries the call's `context`. */
  on?: ContextHooks<Ctx>;
  /**
   * Per-instance circuit breakers: options to create them, or a `createBreakers()` registry to
   * share between fanouts. Open breakers make their instances `skipped: circuit-open`.
   * @default false
   */
  breaker?: BreakerOptions | Breakers | false;
  /** Where shared state lives (breaker state, cached results): memory by default, Redis to share across replicas. */
  store?: Store;
  /**
   * Share identical concurrent `run`/operation calls and cache their results, keyed by operation,
   * `principal(context)` and canonical `data`. A call with no principal is never shared unless
   * its operation says `shared: true`. Options to create it, or a `createDedup()` instance.
   * @default false
   */
  dedup?: DedupOptions | Dedup | false;
}

/** Per-operation (or per-call) dedup settings; `false` opts this operation out. */
export interface OperationDedupOptions<Data = unknown> {
  /** Result cache TTL for this operation; 0 shares in-flight calls only. @default the fanout's `dedup.ttlMs` */
  ttlMs?: number;
  /** The result is the same for every principal: share it even with no principal. @default false */
  shared?: boolean;
  /** Picks the part of `data` that identifies the call; the principal part of the key always stays. */
  key?: (data: Data) => unknown;
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

const routerSchema = expected<InstanceRouter>(
  'an InstanceRouter (an object with a `route` function)',
  (v) => typeof v === 'object' && v !== null && typeof (v as { route?: unknown }).route === 'function',
);


const fanoutSchema = executionSchema.extend({
  router: routerSchema,
  principal: fn<(context: unknown) => string | undefined>().optional(),
  clock: clockSchema.optional(),
  random: fn<() => number>().optional(),
  on: v.record(v.string(), fn<(state: unknown) => void>()).optional(),
  // Validated by their own modules.
  breaker: v.unknown().optional(),
  dedup: v.unknown().optional(),
  store: v.unknown().optional(),
});

export function validateFanoutOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    parseOptions(v.object({}), options);
  }
  parseOptions(fanoutSchema, options);
}

export function validateExecutionOptions(options: unknown, prefix: string): void {
  parseOptions(executionSchema.passthrough(), options, prefix);
}
