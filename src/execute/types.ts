import type { Instance } from '../core/instance.js';

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
 * A thrown error with `status`/`statusCode` 403 or `code` `FORBIDDEN` is classified
 * `unauthorized`; 401 or `UNAUTHORIZED` is an `error` with reason `unauthenticated`; 404 or
 * `NOT_FOUND` is `not-found`; anything else is an `error`. An error may carry `retryAfterMs`
 * (number) to delay its retry. A worker may declare {@link WorkerTraits} as properties.
 */
export type Worker<T, Data = unknown, Ctx = unknown> = (
  instance: Instance,
  call: WorkerCall<Data, Ctx>,
) => Promise<T>;

/**
 * What a worker may say about itself, as properties of the worker function. `httpWorker` sets
 * both; a hand-written worker can too (`Object.assign(worker, { idempotent: false })`).
 */
export interface WorkerTraits {
  /**
   * False when repeating the work could do it twice (a payment, a POST without an idempotency
   * key): such work is never hedged, and retried only after a failure that provably happened
   * before the request was sent. An operation's own `idempotent` option wins over this.
   * @default true
   */
  readonly idempotent?: boolean;
  /**
   * Refreshes the worker's credential for `instance` after the instance refused it (401) with
   * `error`; the attempt is then retried once. Without it a 401 is not retried.
   */
  readonly refreshCredentials?: (instance: Instance, error: unknown) => Promise<void> | void;
}

export type { Failure, NotFound, Outcome, Responses, Skipped, Success, Unauthorized } from '../core/outcome.js';
