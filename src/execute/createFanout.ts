import { systemClock, type Clock } from '../_internal/clock.js';
import { createLru } from '../_internal/lru.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { ResultOf, Strategy } from '../combine/types.js';
import type { InstanceRouter } from '../router/types.js';
import { guardRouter } from '../router/guardRouter.js';
import { createBreakers, type BreakerOptions, type Breakers } from '../breaker/index.js';
import { copierOf, createDedup, type Dedup, type DedupOptions } from '../dedup/index.js';
import type { Store } from '../stores/types.js';
import { createBudget } from './budget.js';
import { checkCallKeys, checkDeadline } from './callChecks.js';
import { withCallContext, type ContextHooks } from './contextHooks.js';
import { defaultClassify } from './classify.js';
import { execute, type AdmissionLike, type ExecutionConfig, type LatencyLike } from './execution.js';
import type { FanoutHooks } from './hooks.js';
import { resolvePrincipal } from './principal.js';
import { createLatencyWindow } from './latencyWindow.js';
import {
  DEFAULTS,
  validateExecutionOptions,
  validateFanoutOptions,
  type ExecutionOptions,
  type FanoutOptions,
  type OperationDedupOptions,
} from './options.js';
import type { FanoutReport } from './report.js';
import { copyResponses } from './responses.js';
import type { Responses, Worker } from './types.js';

/** One call of a fanout. */
export interface CallInput<T, Data, Ctx> extends ExecutionOptions {
  operation: string;
  data: Data;
  context: Ctx;
  worker: Worker<T, Data, Ctx>;
  /** The caller's signal: aborting it rejects the call at once with code `ABORTED`. */
  signal?: AbortSignal | undefined;
  /**
   * Dedup settings of this call when the fanout has `dedup`. `collect` and `runDetailed` share
   * identical calls in flight only (never the result cache). @default the fanout's settings
   */
  dedup?: OperationDedupOptions<Data> | false;
}

/** A strategy usable with a worker returning `T`. */
export type StrategyFor<T> = Strategy<NoInfer<T>, unknown>;

export interface RunInput<T, S extends StrategyFor<T>, Data, Ctx> extends CallInput<T, Data, Ctx> {
  /** `T` is inferred from the worker alone, so `mergeAll()` needs no type argument. */
  strategy: S;
  /**
   * Dedup settings of this call when the fanout has `dedup`. The operation name keys the cache,
   * so one name must always mean one worker and strategy (a name defined with `operation()` is
   * refused with another worker). @default the fanout's settings
   */
  dedup?: OperationDedupOptions<Data> | false;
}

/** An operation: a named worker + strategy with its own overrides, called like a function. */
export interface OperationDefinition<T, S extends StrategyFor<T>, Data, Ctx> extends ExecutionOptions {
  name: string;
  worker: Worker<T, Data, Ctx>;
  strategy: S;
  /** This operation's dedup settings when the fanout has `dedup`. @default the fanout's settings */
  dedup?: OperationDedupOptions<Data> | false;
}

export type Operation<R, Data, Ctx> = (data: Data, context: Ctx, options?: { signal?: AbortSignal | undefined }) => Promise<R>;

/**
 * The context type of one call: the fanout's when it has one (given at createFanout or inferred
 * from its router or principal), else the call's own, so an untyped fanout still types
 * `call.context` in inline workers and `httpWorker` callbacks.
 */
export type CallContext<Ctx, C> = unknown extends Ctx ? C : Ctx;

/** A configured fan-out: route, call every instance, combine. */
export interface Fanout<Data = unknown, Ctx = unknown> {
  // Each call may narrow `Data` (a router that ignores data accepts every operation's own type).
  /** Every outcome, categorised; never throws for instance failures. */
  collect<T, D extends Data = Data, C = Ctx>(input: CallInput<T, D, CallContext<Ctx, C>>): Promise<Responses<T>>;
  /** The strategy's combined value; throws the strategy's `SwitchyardError`. */
  run<T, S extends StrategyFor<T>, D extends Data = Data, C = Ctx>(input: RunInput<T, S, D, CallContext<Ctx, C>>): Promise<ResultOf<S, T>>;
  /** The value plus a per-instance timeline (attempts, offsets, retries, cancellations). */
  runDetailed<T, S extends StrategyFor<T>, D extends Data = Data, C = Ctx>(
    input: RunInput<T, S, D, CallContext<Ctx, C>>,
  ): Promise<{ value: ResultOf<S, T>; report: FanoutReport }>;
  /** Defines a reusable operation, e.g. one per BFF endpoint. */
  operation<T, S extends StrategyFor<T>, D extends Data = Data, C = Ctx>(
    definition: OperationDefinition<T, S, D, CallContext<Ctx, C>>,
  ): Operation<ResultOf<S, T>, D, CallContext<Ctx, C>>;
  /**
   * Drops cached results: all, one operation's, or one call's (`{ operation, data, principal }`).
   * Resolves at once when the fanout has no dedup.
   */
  invalidate(target?: { operation?: string; data?: unknown; principal?: string }): Promise<void>;
}

/** Shared state of one fanout that outlives single calls. */
export interface Shared {
  clock: Clock;
  random: () => number;
  hooks: FanoutHooks | undefined;
  breakers: AdmissionLike | undefined;
  budget: ExecutionConfig['budget'];
  latency: (instanceId: string, operation: string) => LatencyLike;
}

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
  const breakers: AdmissionLike | undefined =
    breaker === undefined || breaker === false
      ? undefined
      : typeof (breaker as Breakers).admit === 'function'
        ? (breaker as Breakers)
        : createBreakers({ clock, ...(options.store === undefined ? {} : { store: options.store }), ...(breaker as BreakerOptions) });
  const budgetOptions = options.budget === false ? undefined : { ...DEFAULTS.budget, ...options.budget };
  const windowSize = (options.hedge || undefined)?.windowSize ?? DEFAULTS.hedge.windowSize;
  const windows = createLru<LatencyLike>({ max: 10_000 });
  return {
    clock,
    random: options.random ?? Math.random,
    hooks: options.on,
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

function pickExecution(source: ExecutionOptions): ExecutionOptions {
  const picked: Record<string, unknown> = {};
  for (const key of EXECUTION_KEYS) if (source[key] !== undefined) picked[key] = source[key];
  return picked as ExecutionOptions;
}

/** Per-call checks, by hand: this runs on every call, where a schema parse would cost more than the fan-out. */
function validateCall(input: { operation?: unknown; worker?: unknown; strategy?: unknown; signal?: unknown }, needsStrategy: boolean): void {
  const invalid = (field: string, expected: string, got: unknown) =>
    new SwitchyardError('INVALID_CONFIG', `Expected \`${field}\` to be ${expected}, got ${got === undefined ? 'undefined' : typeof got}`);
  if (typeof input !== 'object' || input === null) throw invalid('input', 'an object', input);
  checkCallKeys(input, 'call');
  if (typeof input.operation !== 'string' || input.operation.length === 0) throw invalid('operation', 'a non-empty string', input.operation);
  if (typeof input.worker !== 'function') throw invalid('worker', 'a function', input.worker);
  if (needsStrategy) {
    const strategy = input.strategy as { combine?: unknown; settle?: unknown } | undefined;
    if (typeof strategy !== 'object' || strategy === null) throw invalid('strategy', 'a Strategy object', strategy);
    if (typeof strategy.combine !== 'function') throw invalid('strategy.combine', 'a function', strategy.combine);
    if (strategy.settle !== undefined && typeof strategy.settle !== 'function') throw invalid('strategy.settle', 'a function', strategy.settle);
  }
  if (input.signal !== undefined && !(input.signal instanceof AbortSignal)) throw invalid('signal', 'an AbortSignal', input.signal);
}

const collectStrategy: Strategy<unknown, Responses<unknown>> = { combine: (responses) => responses };

/**
 * Creates a fanout: one router plus the policies (timeouts, deadline, concurrency, retry, hedging,
 * budget) every call shares. Options are validated here; a bad one throws `INVALID_CONFIG`.
 *
 * @example
 * const fanout = createFanout({ router: staticRouter(instances), timeoutMs: 2000 });
 * const groups = await fanout.run({ operation: 'searchGroups', data, context, worker, strategy: mergeAll() });
 */
export function createFanout<Data = unknown, Ctx = unknown>(options: FanoutOptions<Data, Ctx>): Fanout<Data, Ctx> {
  validateFanoutOptions(options);
  const router: InstanceRouter<Data, Ctx> = guardRouter(options.router);
  const shared = createShared(options);
  const base = pickExecution(options);
  const baseConfig = resolveConfig(shared, base);

  const config = (overrides: ExecutionOptions) => {
    const picked = pickExecution(overrides);
    if (Object.keys(picked).length === 0) return baseConfig;
    validateExecutionOptions(picked, '');
    return resolveConfig(shared, base, picked);
  };

  const dedup: Dedup | undefined =
    options.dedup === undefined || options.dedup === false
      ? undefined
      : typeof (options.dedup as Dedup).run === 'function'
        ? (options.dedup as Dedup)
        : createDedup({ clock: shared.clock, ...(options.store === undefined ? {} : { store: options.store }), ...(options.dedup as DedupOptions) });
  const principalOf = options.principal;

  const runWith = <T, R>(input: CallInput<T, Data, Ctx> & { strategy: Strategy<T, R> }, callConfig: ExecutionConfig) =>
    execute(withCallContext(callConfig, input.context), {
      operation: input.operation,
      data: input.data,
      context: input.context,
      worker: input.worker,
      strategy: input.strategy,
      signal: input.signal,
      target: router,
    });

  type AnyRun = CallInput<unknown, Data, Ctx> & { strategy: Strategy<unknown, unknown> };

  /** Workers of the operations defined on this fanout, by name: one name, one worker. */
  const defined = new Map<string, Worker<unknown, Data, Ctx>>();
  // An operation's `dedup.key`, so that `invalidate({ operation, data })` finds what the call keyed.
  const dedupKeys = new Map<string, (data: never) => unknown>();
  /** Dedup keys one name to one result; a call that reuses an operation's name with another worker would share its entries. */
  const checkName = (input: AnyRun) => {
    const worker = defined.get(input.operation);
    if (worker !== undefined && worker !== input.worker) {
      throw new SwitchyardError(
        'INVALID_CONFIG',
        `Operation \`${input.operation}\` is already defined on this fanout with another worker; call that operation or give this call another name`,
      );
    }
  };

  /**
   * Which result a dedup entry holds: `run` and operations share their entries (and the result
   * cache); `collect` and `runDetailed` results describe one execution, so they share calls in
   * flight only, each in its own key space.
   */
  type Kind = 'value' | 'collect' | 'detailed';

  /** A run through dedup when the fanout has it: identical calls share one execution (and the cache for `value`). */
  const runShared = <V>(
    input: AnyRun,
    callConfig: ExecutionConfig,
    settings: OperationDedupOptions | false | undefined,
    kind: Kind,
    pick: (result: Awaited<ReturnType<typeof runWith>>) => V,
  ): Promise<V> => {
    if (dedup === undefined || settings === false) return runWith(input, callConfig).then(pick);
    checkName(input);
    const key = settings?.key;
    return dedup.run(
      {
        operation: input.operation,
        principal: resolvePrincipal(principalOf, input.context, input.operation),
        data: input.data,
        ...(settings?.shared === undefined ? {} : { shared: settings.shared }),
        ...(kind === 'value'
          ? key === undefined ? {} : { key }
          : { key: (data: unknown) => ({ kind, params: key === undefined ? data : key(data) }), ttlMs: 0 }),
        ...(kind !== 'value' || settings?.ttlMs === undefined ? {} : { ttlMs: settings.ttlMs }),
        ...(kind === 'collect' ? { copy: copyCollected } : {}),
        ...(input.signal === undefined ? {} : { signal: input.signal }),
      },
      (signal) => runWith({ ...input, signal }, callConfig).then(pick),
    );
  };
  const valueOf = (result: { value: unknown }) => result.value;
  // Responses hold Error objects, so a JSON copy is impossible: copy the lists and each success's data.
  const copyCollected = (value: unknown) =>
    copyResponses(value as Responses<unknown>, (data) => {
      const copy = copierOf(data);
      if (copy === undefined) throw new TypeError('not plain data');
      return copy();
    });
  const detailsOf = (result: { value: unknown; report: FanoutReport }) => ({ value: result.value, report: result.report });
  const fanout = {
    async collect(input: CallInput<unknown, Data, Ctx> & { dedup?: OperationDedupOptions | false }) {
      validateCall(input, false);
      return runShared({ ...input, strategy: collectStrategy }, config(input), input.dedup, 'collect', valueOf);
    },
    async run(input: AnyRun & { dedup?: OperationDedupOptions | false }) {
      validateCall(input, true);
      return runShared(input, config(input), input.dedup, 'value', valueOf);
    },
    async runDetailed(input: AnyRun & { dedup?: OperationDedupOptions | false }) {
      validateCall(input, true);
      return runShared(input, config(input), input.dedup, 'detailed', detailsOf);
    },
    operation(definition: OperationDefinition<unknown, Strategy<unknown, unknown>, Data, Ctx>) {
      checkCallKeys(definition, 'operation');
      validateCall({ operation: definition.name, worker: definition.worker, strategy: definition.strategy }, true);
      if (defined.has(definition.name)) {
        throw new SwitchyardError(
          'INVALID_CONFIG',
          `Operation \`${definition.name}\` is already defined on this fanout; give each operation its own name (the name keys dedup and the result cache)`,
        );
      }
      const operationConfig = config(definition);
      defined.set(definition.name, definition.worker);
      if (definition.dedup && definition.dedup.key !== undefined) dedupKeys.set(definition.name, definition.dedup.key as (data: never) => unknown);
      return (data: Data, context: Ctx, callOptions?: { signal?: AbortSignal | undefined }) => {
        const input = { operation: definition.name, data, context, worker: definition.worker, strategy: definition.strategy, signal: callOptions?.signal };
        return runShared(input, operationConfig, definition.dedup as OperationDedupOptions | false | undefined, 'value', valueOf);
      };
    },
    async invalidate(target: { operation?: string; data?: unknown; principal?: string } = {}) {
      if (dedup === undefined) return;
      const { operation, data, principal } = target;
      const key = operation === undefined ? undefined : dedupKeys.get(operation);
      await dedup.invalidate({
        ...(operation === undefined ? {} : { operation }),
        ...('data' in target ? { data: key === undefined ? data : key(data as never) } : {}),
        ...(principal === undefined ? {} : { principal }),
      });
    },
  };
  // The public signatures carry the inference (ResultOf); the implementation is the same for every T.
  return fanout as unknown as Fanout<Data, Ctx>;
}
