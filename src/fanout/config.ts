import { systemClock, type Clock } from '../_internal/clock.js';
import { createLru } from '../_internal/lru.js';
import { createBreakers, type BreakerOptions, type Breakers } from '../breaker/index.js';
import type { Admission } from '../core/permit.js';
import { createBudget, type Budget } from '../execute/budget.js';
import { defaultClassify } from '../execute/classify.js';
import type { ExecutionConfig } from '../execute/execute.js';
import type { FanoutHooks } from '../execute/hooks.js';
import { createLatencyWindow, type LatencyWindow } from '../execute/latencyWindow.js';
import { DEFAULTS, validateExecutionOptions, type ExecutionOptions } from '../execute/options.js';
import type { Store } from '../stores/types.js';
import { checkDeadline } from './callChecks.js';
import type { ContextHooks } from './contextHooks.js';

/** Shared state of one fanout that outlives single calls. */
export interface Shared {
  clock: Clock;
  random: () => number;
  hooks: FanoutHooks | undefined;
  breakers: Admission | undefined;
  budget: Budget | undefined;
  latency: (instanceId: string, operation: string) => LatencyWindow;
}

/** Builds what every call of one fanout shares: clock, breakers, budget, latency history. */
export function createShared(options: {
  clock?: Clock | undefined;
  random?: (() => number) | undefined;
  on?: ContextHooks<never> | undefined;
  budget?: ExecutionOptions['budget'];
  hedge?: ExecutionOptions['hedge'];
  breaker?: BreakerOptions | Breakers | false | undefined;
  store?: Store | undefined;
}): Shared {
  const clock = options.clock ?? systemClock;
  const breaker = options.breaker;
  const breakers: Admission | undefined =
    breaker === undefined || breaker === false
      ? undefined
      : typeof (breaker as Breakers).admit === 'function'
        ? (breaker as Breakers)
        : createBreakers({ clock, ...(options.store === undefined ? {} : { store: options.store }), ...(breaker as BreakerOptions) });
  const budgetOptions = options.budget === false ? undefined : { ...DEFAULTS.budget, ...options.budget };
  const windowSize = (options.hedge || undefined)?.windowSize ?? DEFAULTS.hedge.windowSize;
  const windows = createLru<LatencyWindow>({ max: 10_000 });
  return {
    clock,
    random: options.random ?? Math.random,
    hooks: options.on as FanoutHooks | undefined,
    breakers,
    budget: budgetOptions === undefined ? undefined : createBudget({ ...budgetOptions, clock }),
    // Per instance and operation: a fast operation must not set the hedge delay of a slow one.
    latency: (instanceId, operation) => {
      const key = `${operation}\u0000${instanceId}`;
      const known = windows.get(key);
      if (known !== undefined) return known;
      const created = createLatencyWindow({ size: windowSize });
      windows.set(key, created);
      return created;
    },
  };
}

/** Applies defaults and overrides into the settings of one call. */
export function resolveConfig(shared: Shared, base: ExecutionOptions, overrides?: ExecutionOptions): ExecutionConfig {
  const own = overrides === undefined ? undefined : pickExecution(overrides);
  const merged = own === undefined ? base : { ...base, ...own };
  // An override refines the fanout's retry and hedge settings field by field; `false` turns them off.
  const off = <S>(baseValue: S | false | undefined, override: S | false | undefined) =>
    override === false || (override === undefined && baseValue === false);
  const retry = off(base.retry, own?.retry) ? undefined : { ...DEFAULTS.retry, ...(base.retry || {}), ...(own?.retry || {}) };
  const hedge =
    off(base.hedge, own?.hedge) || (base.hedge === undefined && own?.hedge === undefined)
      ? undefined
      : { ...(base.hedge || {}), ...(own?.hedge || {}) };
  checkDeadline(merged);
  return {
    timeoutMs: merged.timeoutMs ?? DEFAULTS.timeoutMs,
    deadlineMs: merged.deadlineMs ?? DEFAULTS.deadlineMs,
    concurrency: merged.concurrency ?? DEFAULTS.concurrency,
    retry,
    hedge:
      hedge === undefined
        ? undefined
        : {
            delayMs: hedge.delayMs,
            percentile: hedge.percentile,
            maxHedges: hedge.maxHedges ?? DEFAULTS.hedge.maxHedges,
            latency: shared.latency,
          },
    // The budget is shared by every call of the fanout; an operation can only opt out of it.
    budget: merged.budget === false ? undefined : shared.budget,
    breakers: shared.breakers,
    classify: merged.classify ?? defaultClassify,
    idempotent: merged.idempotent,
    shouldRetry: merged.shouldRetry,
    clock: shared.clock,
    random: shared.random,
    hooks: shared.hooks,
  };
}

const EXECUTION_KEYS = ['timeoutMs', 'deadlineMs', 'concurrency', 'retry', 'hedge', 'budget', 'classify', 'idempotent', 'shouldRetry'] as const;

/** The execution settings among a call's or an operation's keys. */
export function pickExecution(source: ExecutionOptions): ExecutionOptions {
  const picked: Record<string, unknown> = {};
  for (const key of EXECUTION_KEYS) if (source[key] !== undefined) picked[key] = source[key];
  return picked as ExecutionOptions;
}

function hasExecutionKeys(source: ExecutionOptions): boolean {
  for (const key of EXECUTION_KEYS) if (source[key] !== undefined) return true;
  return false;
}

/**
 * The settings resolver of one fanout: a call or operation without overrides reuses the fanout's
 * resolved settings; one with overrides has them validated and merged.
 */
export function configResolver(shared: Shared, options: ExecutionOptions): (overrides: ExecutionOptions) => ExecutionConfig {
  const base = pickExecution(options);
  const baseConfig = resolveConfig(shared, base);
  return (overrides) => {
    if (!hasExecutionKeys(overrides)) return baseConfig;
    const picked = pickExecution(overrides);
    validateExecutionOptions(picked, '');
    return resolveConfig(shared, base, picked);
  };
}
