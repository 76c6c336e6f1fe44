import type { ResultOf, Strategy } from '../combine/types.js';
import type { InstanceRouter } from '../router/types.js';
import { guardRouter } from '../router/guardRouter.js';
import { createDedup, type Dedup, type DedupOptions } from '../dedup/index.js';
import { execute, executeDetailed, type ExecutionConfig, type ExecutionInput } from '../execute/execute.js';
import type { ExecutionOptions } from '../execute/options.js';
import type { FanoutReport } from '../execute/report.js';
import type { Responses, Worker } from '../execute/types.js';
import { validateCall } from './callChecks.js';
import { configResolver, createShared } from './config.js';
import { withCallContext } from './contextHooks.js';
import { dedupRunner, type ResultKind, type SharedCall } from './dedupRun.js';
import { defineOperation, type AnyOperationDefinition } from './operation.js';
import { validateFanoutOptions, type FanoutOptions, type OperationDedupOptions } from './options.js';

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
  const config = configResolver(shared, options);
  const dedup: Dedup | undefined =
    options.dedup === undefined || options.dedup === false
      ? undefined
      : typeof (options.dedup as Dedup).run === 'function'
        ? (options.dedup as Dedup)
        : createDedup({ clock: shared.clock, ...(options.store === undefined ? {} : { store: options.store }), ...(options.dedup as DedupOptions) });
  const sharing = dedupRunner<Data, Ctx>(dedup, options.principal);

  /** One call through dedup (when the fanout has it) into the executor. */
  const runShared = (input: SharedCall<Data, Ctx>, callConfig: ExecutionConfig, settings: OperationDedupOptions | false | undefined, kind: ResultKind): Promise<unknown> =>
    sharing.run(input, settings, kind, (signal) => {
      const call: ExecutionInput<unknown, unknown, Data, Ctx> = {
        operation: input.operation,
        data: input.data,
        context: input.context,
        worker: input.worker,
        strategy: input.strategy,
        signal,
        target: router,
      };
      const bound = withCallContext(callConfig, input.context);
      return kind === 'detailed' ? executeDetailed(bound, call) : execute(bound, call);
    });

  type AnyRun = SharedCall<Data, Ctx> & ExecutionOptions & { dedup?: OperationDedupOptions | false };
  const fanout = {
    // Not async: a direct promise, and a mistake in the input still rejects rather than throws.
    collect(input: Omit<AnyRun, 'strategy'>) {
      try {
        validateCall(input, false);
        return runShared({ ...input, strategy: collectStrategy }, config(input), input.dedup, 'collect');
      } catch (error) {
        return Promise.reject(error);
      }
    },
    run(input: AnyRun) {
      try {
        validateCall(input, true);
        return runShared(input, config(input), input.dedup, 'value');
      } catch (error) {
        return Promise.reject(error);
      }
    },
    runDetailed(input: AnyRun) {
      try {
        validateCall(input, true);
        return runShared(input, config(input), input.dedup, 'detailed');
      } catch (error) {
        return Promise.reject(error);
      }
    },
    operation: (definition: AnyOperationDefinition<Data, Ctx>) => defineOperation(definition, sharing, config, runShared),
    invalidate: (target: { operation?: string; data?: unknown; principal?: string } = {}) => sharing.invalidate(target),
  };
  // The public signatures carry the inference (ResultOf); the implementation is the same for every T.
  return fanout as unknown as Fanout<Data, Ctx>;
}
