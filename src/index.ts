/**
 * Send one request to the right backend instances, call a worker on each and combine the answers:
 * fanouts, routers, strategies, breakers, dedup and errors.
 *
 * @module switchyard
 */
export type { Instance, InstanceRouter, RouteInput } from './router/types.js';
export { staticRouter } from './router/staticRouter.js';
export { lookupRouter, type LookupRouterOptions, type LookupCacheOptions } from './router/lookupRouter.js';
export { filterRouter } from './router/filterRouter.js';

export type { Worker, WorkerCall, WorkerTraits, Outcome, Responses, Success, Unauthorized, NotFound, Failure, Skipped } from './execute/types.js';
export {
  createFanout,
  type Fanout,
  type CallInput,
  type RunInput,
  type StrategyFor,
  type Operation,
  type OperationDefinition,
  type CallContext,
} from './fanout/createFanout.js';
export { fanOutTo, type FanOutToOptions } from './fanout/fanOutTo.js';
export type { FanoutOptions, OperationDedupOptions } from './fanout/options.js';
export {
  DEFAULTS,
  type ExecutionOptions,
  type RetryOptions,
  type HedgeOptions,
  type BudgetOptions,
  type ShouldRetry,
  type ShouldRetryState,
} from './execute/options.js';
export { defaultClassify, type Classifier, type Classification, type ClassifyInput } from './execute/classify.js';
export {
  composeHooks,
  type FanoutHooks,
  type StartState,
  type AttemptState,
  type AttemptEndState,
  type RetryState,
  type OutcomeState,
  type FinishState,
  type BudgetExhaustedState,
  type ProgrammerErrorState,
} from './execute/hooks.js';
export type { ContextHooks } from './fanout/contextHooks.js';
export type { FanoutReport, InstanceReport, AttemptReport } from './execute/report.js';
export { createBudget, type Budget, type BudgetSettings } from './execute/budget.js';
export { createLatencyWindow, type LatencyWindow, type LatencyWindowOptions } from './execute/latencyWindow.js';

export type { Strategy, GenericStrategy, TypeLambda, ApplyLambda, ResultOf } from './combine/types.js';
export { firstSuccess, type FirstSuccessOptions, type SameResult } from './combine/firstSuccess.js';
export { mergeAll, type MergeAllOptions, type MergeAllResult } from './combine/mergeAll.js';
export { requireInstance, type InnerResult } from './combine/requireInstance.js';
export {
  partialWithWarnings,
  type PartialResult,
  type PartialResultOf,
  type PartialWithWarningsOptions,
  type Warning,
} from './combine/partialWithWarnings.js';
export { defineStrategy } from './combine/defineStrategy.js';
export type { MergeOrder } from './combine/_order.js';

export {
  SwitchyardError,
  isSwitchyardError,
  httpStatusOf,
  type SwitchyardErrorCode,
  type SwitchyardErrorOptions,
  type ClientError,
  type ClientErrorOptions,
} from './errors/SwitchyardError.js';
export type { Store } from './stores/types.js';
export { systemClock, type Clock } from './_internal/clock.js';

export {
  createBreakers,
  createHealthChecker,
  healthyOnly,
  BREAKER_DEFAULTS,
  type Breakers,
  type BreakerOptions,
  type BreakerPolicy,
  type BreakerState,
  type BreakerStateChange,
  type BreakerHooks,
  type ConsecutivePolicy,
  type RatioPolicy,
  type Permit,
  type HealthChecker,
  type HealthCheckerOptions,
  type HealthCheckState,
  type BreakerStoreErrorState,
  type BreakerTransitionReason,
} from './breaker/index.js';

export {
  createDedup,
  canonicalKey,
  DEDUP_DEFAULTS,
  type Dedup,
  type DedupInput,
  type DedupOptions,
  type DedupHooks,
  type BypassState,
  type HitState,
  type MissState,
  type JoinState,
  type StoreErrorState,
  type NotCachedState,
  type RefreshErrorState,
  type InvalidateTarget,
} from './dedup/index.js';
export { memoryStore, type MemoryStoreOptions } from './stores/memoryStore.js';
