import type { Clock } from '../_internal/clock.js';
import { clockSchema, expected, fn, parseOptions, v } from '../_internal/validate.js';
import type { BreakerOptions, Breakers } from '../breaker/index.js';
import type { Dedup, DedupOptions } from '../dedup/index.js';
import { executionSchema, type ExecutionOptions } from '../execute/options.js';
import type { InstanceRouter } from '../router/types.js';
import type { Store } from '../stores/types.js';
import type { ContextHooks } from './contextHooks.js';

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

