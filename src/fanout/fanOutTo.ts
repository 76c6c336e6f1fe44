import type { Clock } from '../_internal/clock.js';
import { clockSchema, fn, parseOptions, v } from '../_internal/validate.js';
import { checkInstancesOnce } from '../router/validateInstances.js';
import type { ResultOf, Strategy } from '../combine/types.js';
import type { StrategyFor } from './createFanout.js';
import type { Instance } from '../router/types.js';
import { createShared, resolveConfig } from './config.js';
import { execute } from '../execute/execute.js';
import { withCallContext, type ContextHooks } from './contextHooks.js';
import { executionSchema, type ExecutionOptions } from '../execute/options.js';
import type { Responses, Worker } from '../execute/types.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';

/** Options of a standalone `fanOutTo`. */
export interface FanOutToOptions<Data, Ctx> extends ExecutionOptions {
  /** Names the call in hooks and errors. @default 'fanOutTo' */
  operation?: string;
  data?: Data;
  context?: Ctx;
  signal?: AbortSignal | undefined;
  clock?: Clock;
  random?: () => number;
  /** Observers of the call; each state also carries `context`. */
  on?: ContextHooks<Ctx>;
}

const optionsSchema = executionSchema.extend({
  operation: v.string().optional(),
  data: v.unknown().optional(),
  context: v.unknown().optional(),
  signal: v.custom<AbortSignal>((value) => value instanceof AbortSignal, { message: 'an AbortSignal' }).optional(),
  clock: clockSchema.optional(),
  random: fn<() => number>().optional(),
  on: v.record(v.string(), fn<(state: unknown) => void>()).optional(),
  strategy: v.unknown().optional(),
});

/**
 * Calls `worker` on every instance with the same policies as a fanout, for code that has its
 * instances at hand and no router. Without a strategy it returns every outcome, categorised.
 * A standalone call shares no budget with other calls, so the extra-load budget is off unless given,
 * and it keeps no latency history, so adaptive hedging (`hedge.percentile`) is rejected.
 * Named apart from `createFanout` (which builds a reusable fanout around a router) on purpose.
 *
 * @example
 * const merged = await fanOutTo(instances, async (instance, { signal }) => fetchItems(instance, signal), {
 *   timeoutMs: 2_000,
 *   strategy: mergeAll(),
 * });
 */
export function fanOutTo<T, Data = undefined, Ctx = undefined>(
  instances: readonly Instance[],
  worker: Worker<T, Data, Ctx>,
  options?: FanOutToOptions<Data, Ctx>,
): Promise<Responses<T>>;
export function fanOutTo<T, S extends StrategyFor<T>, Data = undefined, Ctx = undefined>(
  instances: readonly Instance[],
  worker: Worker<T, Data, Ctx>,
  options: FanOutToOptions<Data, Ctx> & { strategy: S },
): Promise<ResultOf<S, T>>;
export function fanOutTo<T, R, Data, Ctx>(
  instances: readonly Instance[],
  worker: Worker<T, Data, Ctx>,
  options: FanOutToOptions<Data, Ctx> & { strategy?: Strategy<T, R> } = {},
): Promise<R | Responses<T>> {
  // Not async: the executor's promise is returned as is, and a mistake still rejects rather than throws.
  try {
    checkInstancesOnce(instances, 'instances', false);
    parseOptions(fn(), worker, 'worker');
    parseOptions(optionsSchema, options);
    if (options.hedge && options.hedge.percentile !== undefined) {
      throw new SwitchyardError(
        'INVALID_CONFIG',
        'Expected `hedge.delayMs` without `hedge.percentile` in fanOutTo: a standalone fanOutTo keeps no latency history between calls, so a percentile would never have samples; use createFanout for adaptive hedging',
      );
    }
    const shared = createShared({ ...options, budget: options.budget ?? false });
    const strategy = options.strategy ?? ({ combine: (responses) => responses } as Strategy<T, R | Responses<T>>);
    return execute(withCallContext(resolveConfig(shared, options), options.context), {
      operation: options.operation ?? 'fanOutTo',
      data: options.data as Data,
      context: options.context as Ctx,
      worker,
      strategy,
      signal: options.signal,
      target: instances,
    });
  } catch (error) {
    return Promise.reject(error);
  }
}
