import type { Instance } from './instance.js';

/** A worker's answer: the instance resolved with `data`. */
export interface Success<T> {
  status: 'success';
  instance: Instance;
  data: T;
  attempts: number;
  durationMs: number;
}
/** The instance refused this user (403 / FORBIDDEN): not for them, never retried. */
export interface Unauthorized {
  status: 'unauthorized';
  instance: Instance;
  error: unknown;
  attempts: number;
  durationMs: number;
}
/** The instance does not hold what was asked (404 / NOT_FOUND), never retried. */
export interface NotFound {
  status: 'not-found';
  instance: Instance;
  error: unknown;
  attempts: number;
  durationMs: number;
}
/** The instance failed: a timeout, an upstream error, a refused credential or a bug in the worker. */
export interface Failure {
  status: 'error';
  instance: Instance;
  error: unknown;
  attempts: number;
  durationMs: number;
  /** `unauthenticated`: the instance refused the BFF's own credential (401), even after a refresh. */
  reason: 'timeout' | 'failed' | 'unauthenticated';
}
/** The instance was not called, or its call was abandoned, for `reason`. */
export interface Skipped {
  status: 'skipped';
  instance: Instance;
  reason: 'circuit-open' | 'cancelled' | 'deadline';
}

/** The typed result of calling one instance. */
export type Outcome<T> = Success<T> | Unauthorized | NotFound | Failure | Skipped;

/** All outcomes of one call, in settle order and by category. */
export interface Responses<T> {
  all: Outcome<T>[];
  /**
   * The instances the router chose, in its order; strategies that merge use it to give the same
   * order on every call. Absent on hand-built responses (they then merge in settle order).
   */
  routed?: readonly Instance[] | undefined;
  successes: Success<T>[];
  unauthorized: Unauthorized[];
  notFound: NotFound[];
  errors: Failure[];
  skipped: Skipped[];
}
