import type { Clock } from '../_internal/clock.js';
import type { Strategy } from '../combine/types.js';
import type { Admission } from '../core/permit.js';
import type { Instance, InstanceRouter } from '../router/types.js';
import type { BackoffOptions } from './backoff.js';
import type { Budget } from './budget.js';
import { Call } from './call.js';
import type { Classifier } from './classify.js';
import type { FanoutHooks } from './hooks.js';
import type { LatencyWindow } from './latencyWindow.js';
import type { ShouldRetry } from './options.js';
import type { FanoutReport } from './report.js';
import type { Worker } from './types.js';

/** Resolved settings of one call (defaults applied). */
export interface ExecutionConfig {
  timeoutMs: number;
  deadlineMs: number;
  concurrency: number;
  retry: ({ maxAttempts: number } & BackoffOptions) | undefined;
  hedge:
    | {
        delayMs: number | undefined;
        percentile: number | undefined;
        maxHedges: number;
        /** The latency window of one instance for one operation. */
        latency: (instanceId: string, operation: string) => LatencyWindow;
      }
    | undefined;
  /** Whether work may be repeated; `undefined` defers to the worker's own `idempotent`. */
  idempotent: boolean | undefined;
  shouldRetry: ShouldRetry | undefined;
  budget: Budget | undefined;
  breakers: Admission | undefined;
  classify: Classifier;
  clock: Clock;
  random: () => number;
  hooks: FanoutHooks | undefined;
}

export interface ExecutionInput<T, R, Data, Ctx> {
  operation: string;
  data: Data;
  context: Ctx;
  worker: Worker<T, Data, Ctx>;
  strategy: Strategy<T, R>;
  signal?: AbortSignal | undefined;
  /** Instances, or a router to ask for them. */
  target: readonly Instance[] | InstanceRouter<Data, Ctx>;
}

/**
 * Runs one call: route, admit through breakers, call every instance under the shared deadline,
 * let the strategy see outcomes as they settle, and combine. Resolves with the strategy's value.
 * Internal: the public edge is `createFanout` / `fanOutTo`.
 */
export function execute<T, R, Data, Ctx>(config: ExecutionConfig, input: ExecutionInput<T, R, Data, Ctx>): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    new Call<T, R, Data, Ctx>(config, input, false, resolve as (value: unknown) => void, reject).begin();
  });
}

/** `execute`, resolving with the value and the call's timeline (the report is recorded only here or for `on.finish`). */
export function executeDetailed<T, R, Data, Ctx>(
  config: ExecutionConfig,
  input: ExecutionInput<T, R, Data, Ctx>,
): Promise<{ value: R; report: FanoutReport }> {
  return new Promise((resolve, reject) => {
    new Call<T, R, Data, Ctx>(config, input, true, resolve as (value: unknown) => void, reject).begin();
  });
}
