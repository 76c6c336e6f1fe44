export { createBreakers } from './createBreakers.js';
export { BREAKER_DEFAULTS } from './options.js';
export { createHealthChecker, healthyOnly, type HealthChecker, type HealthCheckerOptions, type HealthCheckState } from './healthChecker.js';
export type {
  BreakerHooks,
  BreakerOptions,
  BreakerPolicy,
  BreakerState,
  BreakerStateChange,
  BreakerStoreErrorState,
  BreakerTransitionReason,
  Breakers,
  ConsecutivePolicy,
  Permit,
  RatioPolicy,
} from './types.js';
