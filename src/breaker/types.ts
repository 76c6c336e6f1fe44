import type { Clock } from '../_internal/clock.js';
import type { Instance } from '../router/types.js';
import type { Store } from '../stores/types.js';
import type { Admission, Permit } from '../core/permit.js';

/** Where one breaker stands: `closed` calls, `open` skips, `half-open` lets a few probes through. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Why a breaker changed state, as reported to `on.stateChange`. */
export type BreakerTransitionReason =
  /** The consecutive-failure policy reached its threshold. */
  | 'consecutive-failures'
  /** The failure-ratio policy reached its threshold with enough throughput. */
  | 'failure-ratio'
  /** The open duration ran out; the next admission found it. */
  | 'open-elapsed'
  /** A half-open probe (or a health check) succeeded. */
  | 'probe-succeeded'
  /** A half-open probe (or a health check) failed; the open duration doubles. */
  | 'probe-failed'
  /** Another replica opened this breaker and the store said so. */
  | 'shared-state';

/** Counts consecutive `error` outcomes; a success resets the count. */
export interface ConsecutivePolicy {
  kind: 'consecutive';
  /** Failures in a row that open the breaker. */
  threshold: number;
}

/**
 * Counts the share of `error` outcomes over a sliding time window; opens only when the window
 * holds at least `minThroughput` outcomes, so one failure on a quiet instance does not open it.
 */
export interface RatioPolicy {
  kind: 'ratio';
  /** Failure share (0..1) that opens the breaker once reached. */
  threshold: number;
  windowMs: number;
  minThroughput: number;
}

export type BreakerPolicy = ConsecutivePolicy | RatioPolicy;

/** What `on.stateChange` receives. */
export interface BreakerStateChange {
  /** The breaker's key: the instance id, or instance id and operation under `instance+operation` scope. */
  key: string;
  instanceId: string;
  /** Set under `instance+operation` scope. */
  operation?: string;
  from: BreakerState;
  to: BreakerState;
  reason: BreakerTransitionReason;
  /** For `to: 'open'`: how long it stays open before admitting probes. */
  openMs?: number;
}

/** What `on.storeError` receives when reading or writing shared state fails. */
export interface BreakerStoreErrorState {
  action: 'get' | 'set';
  key: string;
  error: unknown;
}

/** Observers of the breakers. A hook that throws is ignored. */
export interface BreakerHooks {
  stateChange?(state: BreakerStateChange): void;
  /** Shared state is best-effort: a failing store never fails a call, it is reported here. */
  storeError?(state: BreakerStoreErrorState): void;
}

export interface BreakerOptions {
  /** When a closed breaker opens. @default { kind: 'consecutive', threshold: 5 } */
  policy?: BreakerPolicy;
  /** How long the first open lasts before probes are admitted. @default 10_000 */
  openMs?: number;
  /** Each failed probe doubles the open duration, up to this. @default 300_000 */
  maxOpenMs?: number;
  /** Probe calls admitted at once while half-open. @default 1 */
  halfOpenProbes?: number;
  /**
   * The most of one fan-out's instances (percent, rounded down, but at least one unless 0) that
   * open breakers may skip; beyond it, open instances are called anyway (Envoy's
   * `max_ejection_percent`), so a fan-out never loses most of its instances to breakers at once.
   * Such a forced call that succeeds closes the breaker, as a successful probe would. @default 50
   */
  maxEjectedPercent?: number;
  /** One breaker per instance, or per instance and operation. @default 'instance' */
  scope?: 'instance' | 'instance+operation';
  /** Shares open breakers between replicas (e.g. `switchyard/redis`). @default none (local only) */
  store?: Store;
  /** How stale a replica's view of shared state may get before it is read again. @default 1000 */
  syncIntervalMs?: number;
  /** Prefix of the keys written to `store`. @default 'switchyard:breaker:' */
  keyPrefix?: string;
  /** @default the system clock */
  clock?: Clock;
  on?: BreakerHooks;
}

export type { Permit } from '../core/permit.js';

/** A registry of circuit breakers, one per instance (or instance and operation). */
export interface Breakers extends Admission {
  /**
   * Decides, for one fan-out's instances, which may be called: a permit for each admitted instance,
   * `'circuit-open'` for each skipped one. Open breakers beyond the ejection cap are admitted anyway.
   * Synchronous: shared state is refreshed in the background.
   */
  admit(instances: readonly Instance[], operation: string): Map<string, Permit | 'circuit-open'>;
  /**
   * The breaker's state as of now. Under `instance+operation` scope without `operation`, the worst
   * state among the instance's breakers.
   */
  state(instanceId: string, operation?: string): BreakerState;
  /**
   * Feeds an out-of-band result (e.g. a health check) for an instance: counts like a call's outcome
   * when closed, acts as a probe when half-open, and is ignored while open. Under
   * `instance+operation` scope it applies to every breaker the instance has.
   */
  report(instanceId: string, ok: boolean): void;
}
