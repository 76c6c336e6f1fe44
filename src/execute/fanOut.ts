import type { Clock } from '../_internal/clock.js';
import { parseOptions } from '../_internal/validate.js';
import type { ResultOf, Strategy } from '../combine/types.js';
import type { StrategyFor } from './createFanout.js';
import type { Instance } from '../router/types.js';
import { createShared, resolveConfig } from './createFanout.js';
import { execute } from './execution.js';
import type { FanoutHooks } from './hooks.js';
import { executionSchema, type ExecutionOptions } from './options.js';
import type { Responses, Worker } from './types.js';
import { z } from 'zod';

/** Options of a standalone `fanOut`. */
export interface FanOutOptions<Data, Ctx> extends ExecutionOptions {
  /** Names the call in hooks and errors. @default 'fanOut' */
  operation?: string;
  data?: Data;
  context?: Ctx;
  signal?: AbortSignal | undefined;
  clock?: Clock;
  random?: () => number;
  on?: FanoutHooks;
}

const optionsSchema = executionSchema.passthrough();

/**
 * Calls `worker` on every instance with the same policies as a fanout, for code that has its
 * instances at hand and no router. Without a strategy it returns every outcome, categorised.
 * A standalone call shares no budget with other calls, so the extra-load budget is off unless given.
 */
export function fanOut<T, Data = undefined, Ctx = undefined>(
  instances: readonly Instance[],
  worker: Worker<T, Data, Ctx>,
  options?: FanOutOptions<Data, Ctx>,
): Promise<Responses<T>>;
export function fanOut<T, S extends StrategyFor<T>, Data = undefined, Ctx = undefined>(
  instances: readonly Instance[],
  worker: Worker<T, Data, Ctx>,
  options: FanOutOptions<Data, Ctx> & { strategy: S },
): Promise<ResultOf<S, T>>;
export async function fanOut<T, R, Data, Ctx>(
  instances: readonly Instance[],
  worker: Worker<T, Data, Ctx>,
  options: FanOutOptions<Data, Ctx> & { strategy?: Strategy<T, R> } = {},
): Promise<R | Responses<T>> {
  parseOptions(z.array(z.object({ id: z.string() }).passthrough()), instances, 'instances');
  parseOptions(z.custom((v) => typeof v === 'function', { message: 'a function' }), worker, 'worker');
  parseOptions(optionsSchema, options);
  const shared = createShared({ ...options, budget: options.budget ?? false });
  const strategy = options.strategy ?? ({ combine: (responses) => responses } as Strategy<T, R | Responses<T>>);
  const result = await execute(resolveConfig(shared, options), {
    operation: options.operation ?? 'fanOut',
    data: options.data as Data,
    context: options.context as Ctx,
    worker,
    strategy,
    signal: options.signal,
    target: instances,
  });
  return result.value;
}
