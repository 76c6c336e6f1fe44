/** Every code a `SwitchyardError` can carry. */
export type SwitchyardErrorCode =
  | 'ALL_FAILED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'REQUIRED_INSTANCE_FAILED'
  | 'DEADLINE_EXCEEDED'
  | 'ABORTED'
  | 'NO_INSTANCES'
  | 'INVALID_CONFIG'
  | 'INVALID_INPUT'
  | 'UPSTREAM_ERROR'
  | 'ROUTER_FAILED'
  | 'PRINCIPAL_FAILED'
  | 'NO_SHARD_KEY'
  | 'UNKNOWN_TENANT'
  | 'AFFINITY_LOST'
  | 'TENANT_UNAVAILABLE';

export interface SwitchyardErrorOptions {
  /** The original error(s), for server-side logs only. Never part of `message`. */
  cause?: unknown;
  /** Instance ids involved, safe to show to clients. */
  instances?: readonly string[];
}

const BRAND = Symbol.for('switchyard.error');

/**
 * The one error type switchyard throws.
 *
 * `message` is safe to send to a client: it names codes, instances and categories, never upstream
 * messages, URLs or stacks. The original errors stay on `cause`.
 */
export class SwitchyardError extends Error {
  override readonly name = 'SwitchyardError';
  readonly code: SwitchyardErrorCode;
  readonly instances: readonly string[];
  readonly [BRAND] = true;

  constructor(code: SwitchyardErrorCode, message: string, options: SwitchyardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.instances = options.instances ?? [];
  }

  /** A plain object for a client response: code, message and instance ids only. */
  toJSON(): { name: string; code: SwitchyardErrorCode; message: string; instances: readonly string[] } {
    return { name: this.name, code: this.code, message: this.message, instances: this.instances };
  }
}

/**
 * True for any `SwitchyardError`, also across realms and duplicated installs (no `instanceof`).
 */
export function isSwitchyardError(error: unknown): error is SwitchyardError {
  return (
    typeof error === 'object' &&
    error !== null &&
    ((error as Record<symbol, unknown>)[BRAND] === true ||
      ((error as { name?: unknown }).name === 'SwitchyardError' &&
        typeof (error as { code?: unknown }).code === 'string'))
  );
}

const HTTP_STATUS: { readonly [C in SwitchyardErrorCode]: number } = {
  INVALID_INPUT: 400,
  NO_SHARD_KEY: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  UNKNOWN_TENANT: 404,
  AFFINITY_LOST: 409,
  ABORTED: 499,
  INVALID_CONFIG: 500,
  ROUTER_FAILED: 500,
  PRINCIPAL_FAILED: 500,
  ALL_FAILED: 502,
  UPSTREAM_ERROR: 502,
  REQUIRED_INSTANCE_FAILED: 502,
  NO_INSTANCES: 503,
  TENANT_UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

/**
 * The HTTP status a server should answer with for an error: the mapped status for a
 * `SwitchyardError`, 500 for anything else.
 *
 * 499 (client closed request) for `ABORTED` follows nginx: the client left, nobody reads it.
 *
 * @example
 * ```ts
 * import { httpStatusOf, isSwitchyardError } from 'switchyard';
 * function toResponse(error: unknown): Response {
 *   const body = isSwitchyardError(error) ? error.toJSON() : { code: 'INTERNAL' };
 *   return Response.json(body, { status: httpStatusOf(error) });
 * }
 * ```
 */
export function httpStatusOf(error: unknown): number {
  return isSwitchyardError(error) ? (HTTP_STATUS[error.code] ?? 500) : 500;
}
