import type { Instance } from '../router/types.js';

/** Everything a worker gets for one attempt on one instance. */
export interface WorkerCall<Data = unknown, Ctx = unknown> {
  data: Data;
  context: Ctx;
  operation: string;
  /** Aborted on attempt timeout, overall deadline, caller abort and early finish. */
  signal: AbortSignal;
  /** 1-based attempt number on this instance (hedges count as attempts). */
  attempt: number;
  /** Epoch milliseconds by which the whole request must end. */
  deadline: number;
  /** True for a hedged (backup) attempt. */
  hedge: boolean;
}

/**
 * Runs one operation on one instance. Resolve with the data; throw to report a failure.
 *
 * A thrown error with `status`/`statusCode` 401/403 or `code` `UNAUTHORIZED`/`FORBIDDEN` is
 * classified `unauthorized`; 404 or `NOT_FOUND` is `not-found`; anything else is an `error`.
 * An error may carry `retryAfterMs` (number) to delay its retry.
 */
export type Worker<T, Data = unknown, Ctx = unknown> = (
  instance: Instance,
  call: WorkerCall<Data, Ctx>,
) => Promise<T>;

export interface Success<T> {
  status: 'success';
  instance: Instance;
  data: T;
  attempts: number;
  durationMs: number;
}
export interface Unauthorized {
  status: 'unauthorized';
  instance: Instance;
  error: unknown;
  attempts: number;
  durationMs: number;
}
export interface NotFound {
  status: 'not-found';
  instance: Instance;
  error: unknown;
  attempts: number;
  durationMs: number;
}
export interface Failure {
  status: 'error';
  instance: Instance;
  error: unknown;
  attempts: number;
  durationMs: number;
  reason: 'timeout' | 'failed';
}
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
  successes: Success<T>[];
  unauthorized: Unauthorized[];
  notFound: NotFound[];
  errors: Failure[];
  skipped: Skipped[];
}
