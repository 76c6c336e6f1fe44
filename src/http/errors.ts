import { SwitchyardError } from '../errors/SwitchyardError.js';

/** Server-side details of a failed upstream answer; never part of `message`. */
export interface UpstreamDetail {
  /** The URL that was called. */
  url: string;
  /** The first bytes of the upstream body, when one was read. */
  body?: string;
}

function attachDetail(error: Error, detail: UpstreamDetail): void {
  // Non-enumerable so JSON.stringify, spread and most loggers' default serialisers skip it.
  Object.defineProperty(error, 'detail', { value: detail, enumerable: false, writable: false, configurable: true });
}

/**
 * An upstream answered with a status outside 2xx.
 *
 * `status` lets the executor classify it (401/403 unauthorized, 404 not-found); `retryable` and
 * `retryAfterMs` drive retries. The message names only the status, so it is safe to show. A
 * `SwitchyardError` with code `UPSTREAM_STATUS`.
 */
export class HttpStatusError extends SwitchyardError {
  override readonly name = 'HttpStatusError';
  declare readonly code: 'UPSTREAM_STATUS';
  readonly status: number;
  /** Delay the upstream asked for (Retry-After), in ms. */
  readonly retryAfterMs?: number;
  /** True for 408, 429 and 5xx. */
  readonly retryable: boolean;
  /** URL and body snippet for server logs (non-enumerable). */
  declare readonly detail: UpstreamDetail;

  constructor(status: number, options: { retryAfterMs?: number; detail: UpstreamDetail }) {
    super('UPSTREAM_STATUS', `Upstream answered ${status}`);
    this.status = status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    this.retryable = status === 408 || status === 429 || status >= 500;
    attachDetail(this, options.detail);
  }
}

/** Why an upstream answer could not be used. */
export type UpstreamResponseProblem = 'malformed-json' | 'schema-mismatch' | 'too-large';

/**
 * An upstream answered 2xx with a body that is not valid JSON, fails the worker's schema, or is
 * too large. Not retryable: asking again rarely changes a broken contract. A `SwitchyardError`
 * with code `UPSTREAM_RESPONSE`.
 */
export class UpstreamResponseError extends SwitchyardError {
  override readonly name = 'UpstreamResponseError';
  declare readonly code: 'UPSTREAM_RESPONSE';
  readonly problem: UpstreamResponseProblem;
  readonly retryable = false;
  /** URL (and schema issues or body snippet) for server logs (non-enumerable). */
  declare readonly detail: UpstreamDetail & { issues?: readonly unknown[] };

  constructor(problem: UpstreamResponseProblem, options: { cause?: unknown; detail: UpstreamDetail & { issues?: readonly unknown[] } }) {
    super(
      'UPSTREAM_RESPONSE',
      problem === 'malformed-json'
        ? 'Upstream answered malformed JSON'
        : problem === 'schema-mismatch'
          ? 'Upstream answer did not match the expected schema'
          : 'Upstream answer was too large',
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.problem = problem;
    attachDetail(this, options.detail);
  }
}

/**
 * The upstream could not be reached or the connection broke (refused, reset, DNS). Retryable; the
 * original error stays on `cause` for server logs. A `SwitchyardError` with code `UPSTREAM_NETWORK`.
 */
export class UpstreamNetworkError extends SwitchyardError {
  override readonly name = 'UpstreamNetworkError';
  declare readonly code: 'UPSTREAM_NETWORK';
  readonly retryable = true;
  declare readonly detail: UpstreamDetail;

  constructor(options: { cause: unknown; detail: UpstreamDetail }) {
    super('UPSTREAM_NETWORK', 'Upstream could not be reached', { cause: options.cause });
    attachDetail(this, options.detail);
  }
}

function named(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
}

/** True for an `HttpStatusError`, also across realms and duplicated installs (no `instanceof`). */
export function isHttpStatusError(error: unknown): error is HttpStatusError {
  return named(error, 'HttpStatusError') && typeof (error as { status?: unknown }).status === 'number';
}

/** True for an `UpstreamResponseError` (checked by name). */
export function isUpstreamResponseError(error: unknown): error is UpstreamResponseError {
  return named(error, 'UpstreamResponseError');
}

/** True for an `UpstreamNetworkError` (checked by name). */
export function isUpstreamNetworkError(error: unknown): error is UpstreamNetworkError {
  return named(error, 'UpstreamNetworkError');
}
