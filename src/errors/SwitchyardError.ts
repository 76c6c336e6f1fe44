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
  | 'UPSTREAM_STATUS'
  | 'UPSTREAM_RESPONSE'
  | 'UPSTREAM_NETWORK'
  | 'ROUTER_FAILED'
  | 'PRINCIPAL_FAILED'
  | 'NO_SHARD_KEY'
  | 'UNKNOWN_TENANT'
  | 'AFFINITY_LOST'
  | 'TENANT_UNAVAILABLE';

export interface SwitchyardErrorOptions {
  /** The original error(s), for server-side logs only. Never part of `message`. */
  cause?: unknown;
  /** Instance ids involved; sent to clients only when the app opts in (see `toJSON`). */
  instances?: readonly string[];
}

/** What `toJSON` may add to the client body; everything is left out unless asked for. */
export interface ClientErrorOptions {
  /**
   * Add the ids of the instances involved. Ids can name tenants or deployments
   * (`enterprise-acme`), so only set this when every client may know them.
   * @default false
   */
  exposeInstances?: boolean;
}

/** The body of an error as a client may see it. */
export interface ClientError {
  name: 'SwitchyardError';
  code: SwitchyardErrorCode;
  /** A fixed sentence per code: never upstream text, URLs, ids or values. */
  message: string;
  /** Only with `exposeInstances: true`. */
  instances?: readonly string[];
}

const BRAND = Symbol.for('switchyard.error');

const CLIENT_MESSAGES: { readonly [C in SwitchyardErrorCode]: string } = {
  ALL_FAILED: 'No instance could answer the request',
  FORBIDDEN: 'The request is not allowed',
  NOT_FOUND: 'The resource was not found',
  REQUIRED_INSTANCE_FAILED: 'A required instance could not answer the request',
  DEADLINE_EXCEEDED: 'The request took too long',
  ABORTED: 'The request was aborted',
  NO_INSTANCES: 'No instance can serve the request',
  INVALID_CONFIG: 'The server is misconfigured',
  INVALID_INPUT: 'The request is invalid',
  UPSTREAM_ERROR: 'A dependency of the server failed',
  UPSTREAM_STATUS: 'An upstream service answered with an error',
  UPSTREAM_RESPONSE: 'An upstream service gave an unusable answer',
  UPSTREAM_NETWORK: 'An upstream service could not be reached',
  ROUTER_FAILED: 'The request could not be routed',
  PRINCIPAL_FAILED: 'The caller could not be identified',
  NO_SHARD_KEY: 'The request lacks the key that selects its shard',
  UNKNOWN_TENANT: 'The tenant is not known',
  AFFINITY_LOST: 'The instance serving this session is no longer available',
  TENANT_UNAVAILABLE: 'The tenant is unavailable',
};

/**
 * The base of every error switchyard throws. The HTTP errors of `switchyard/http`
 * (`HttpStatusError`, `UpstreamResponseError`, `UpstreamNetworkError`) and the fake instances'
 * `FakeInstanceError` extend it with their own `name`, `code` and fields.
 *
 * `message` is for server logs: it names codes, instance ids and categories, never upstream
 * messages, URLs or stacks; the original errors stay on `cause`. What a client may see is
 * `toJSON()`: the code and a fixed sentence per code.
 */
export class SwitchyardError extends Error {
  /** `'SwitchyardError'`, or the subclass's own name (`'HttpStatusError'` …). */
  override readonly name: string = 'SwitchyardError';
  readonly code: SwitchyardErrorCode;
  readonly instances: readonly string[];
  readonly [BRAND] = true;

  constructor(code: SwitchyardErrorCode, message: string, options: SwitchyardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.instances = options.instances ?? [];
  }

  /**
   * The body for a client response: the code and a generic message for it, plus instance ids
   * only with `{ exposeInstances: true }`. `JSON.stringify(error)` gives the same safe body.
   *
   * @example
   * ```ts
   * import { httpStatusOf, isSwitchyardError } from 'switchyard';
   * function toResponse(error: unknown): Response {
   *   if (!isSwitchyardError(error)) return Response.json({ code: 'INTERNAL' }, { status: 500 });
   *   return Response.json(error.toJSON(), { status: httpStatusOf(error) });
   * }
   * ```
   */
  toJSON(options?: ClientErrorOptions | string): ClientError {
    // JSON.stringify calls toJSON(key) with a string: that is never an opt-in.
    const body: ClientError = { name: 'SwitchyardError', code: this.code, message: CLIENT_MESSAGES[this.code] ?? 'The request failed' };
    if (typeof options === 'object' && options?.exposeInstances === true) body.instances = this.instances;
    return body;
  }
}

/**
 * An upstream's answer or failure as an HTTP client saw it (`HttpStatusError` and its siblings):
 * raised inside a router or a principal function, it is that function failing, not a routing
 * decision to pass on.
 */
export function isUpstreamFailure(error: SwitchyardError): boolean {
  return error.code === 'UPSTREAM_STATUS' || error.code === 'UPSTREAM_RESPONSE' || error.code === 'UPSTREAM_NETWORK';
}

/**
 * True for any `SwitchyardError`, subclasses included, also across realms and duplicated installs
 * (a brand and the name, no `instanceof`).
 */
export function isSwitchyardError(error: unknown): error is SwitchyardError {
  return (
    typeof error === 'object' &&
    error !== null &&
    ((error as Record<symbol, unknown>)[BRAND] === true ||
      ((error as { name?: unknown }).name === 'SwitchyardError' && typeof (error as { code?: unknown }).code === 'string'))
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
  UPSTREAM_STATUS: 502,
  UPSTREAM_RESPONSE: 502,
  UPSTREAM_NETWORK: 502,
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
