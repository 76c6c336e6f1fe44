/**
 * State objects passed to the dedup hooks (`createDedup({ on })`). Hooks are for metrics and logs;
 * one that throws is ignored, so it can never fail a call.
 */

/**
 * A call ran on its own: `no-principal`, it has no principal and is not marked `shared`;
 * `not-copyable`, it joined an execution whose result is not plain JSON data, so it could not get
 * its own copy and ran afresh instead of sharing one object with other callers.
 */
export interface BypassState {
  operation: string;
  reason: 'no-principal' | 'not-copyable';
}

/** A call was answered from the result cache without running. */
export interface HitState {
  operation: string;
  /** True when served within `staleWhileRevalidateMs` after expiry (a refresh runs in the background). */
  stale: boolean;
}

/** A call started a new shared execution (the first of its kind, or after a cache miss). */
export interface MissState {
  operation: string;
  /** True when the result cache was consulted (ttl > 0 and the store answered). */
  cacheChecked: boolean;
}

/** A call joined an identical execution already in flight. */
export interface JoinState {
  operation: string;
  /** Callers now waiting on that execution, this one included. */
  waiters: number;
}

/** The store failed or did not answer within `storeTimeoutMs`; the call went on without it. */
export interface StoreErrorState {
  operation: string | undefined;
  phase: 'get' | 'set' | 'invalidate' | 'decode';
  timedOut: boolean;
  /** The original error, for server-side logs. */
  error: unknown;
}

/** A successful result was not cached. */
export interface NotCachedState {
  operation: string;
  /** `not-serialisable`: not plain JSON data (a Date, a class, NaN, …); `too-large`: over `maxValueBytes`. */
  reason: 'not-serialisable' | 'too-large';
  bytes?: number;
}

/** A stale-while-revalidate background refresh failed; the stale entry stays until it expires. */
export interface RefreshErrorState {
  operation: string;
  error: unknown;
}

/** Hooks for `createDedup({ on })`. */
export interface DedupHooks {
  bypass?(state: BypassState): void;
  hit?(state: HitState): void;
  miss?(state: MissState): void;
  join?(state: JoinState): void;
  storeError?(state: StoreErrorState): void;
  notCached?(state: NotCachedState): void;
  refreshError?(state: RefreshErrorState): void;
}
