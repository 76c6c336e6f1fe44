import type { Instance } from '../router/types.js';

/** How one failed attempt counts. */
export interface Classification {
  status: 'unauthorized' | 'not-found' | 'error';
  /** Whether another attempt may help. Ignored for `unauthorized` and `not-found`. */
  retryable: boolean;
  /** A server-requested delay before the next attempt (Retry-After). */
  retryAfterMs?: number;
  /**
   * `'unauthenticated'`: the instance refused the BFF's own credential (401). The outcome is an
   * `error` with this reason, retried once after the worker refreshes its credential.
   */
  reason?: 'unauthenticated';
  /**
   * False when the failure says nothing about the instance's health (a bug in the worker's own
   * code, a refused credential): it never counts against the instance's breaker.
   * @default true
   */
  instanceFault?: boolean;
  /**
   * True when the request provably never reached the instance (connection refused, unknown
   * host): such a failure may be retried even for work that is not idempotent.
   * @default false
   */
  notSent?: boolean;
  /** True for a bug in the worker's own code (TypeError, ReferenceError …): reported to `on.programmerError`. */
  programmerError?: boolean;
}

/** What a classifier knows besides the error. */
export interface ClassifyInput {
  error: unknown;
  instance: Instance;
  /** True when the attempt was ended by its own timeout. */
  timedOut: boolean;
}

/**
 * Maps a thrown error to an outcome category; replace it to teach switchyard your transport's
 * errors. A worker's resolve is always a success, so this only sees failures.
 */
export type Classifier = (input: ClassifyInput) => Classification;

const FORBIDDEN_CODES = new Set(['FORBIDDEN']);
const UNAUTHENTICATED_CODES = new Set(['UNAUTHORIZED']);
const NOT_FOUND_CODES = new Set(['NOT_FOUND']);
/** tRPC codes that no retry will fix. */
const PERMANENT_CODES = new Set([
  'BAD_REQUEST',
  'PARSE_ERROR',
  'METHOD_NOT_SUPPORTED',
  'CONFLICT',
  'PRECONDITION_FAILED',
  'PAYLOAD_TOO_LARGE',
  'UNPROCESSABLE_CONTENT',
  'UNSUPPORTED_MEDIA_TYPE',
]);
/** Errors the JavaScript engine throws for mistakes in code, not for failed I/O. */
const PROGRAMMER_ERRORS = new Set(['TypeError', 'ReferenceError', 'SyntaxError', 'RangeError']);
/**
 * Connection errors that prove the request was never sent: nothing listened, the host has no
 * address, or no route reached it (Node's and undici's codes).
 */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const MAX_CAUSES = 8;

function read(error: unknown, key: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[key] : undefined;
}

function statusOf(error: unknown): number | undefined {
  for (const source of [error, read(error, 'data'), read(error, 'response')]) {
    for (const key of ['status', 'statusCode', 'httpStatus']) {
      const value = read(source, key);
      if (typeof value === 'number') return value;
    }
  }
  return undefined;
}

/** True when `error` or one of its causes carries a connection code that proves nothing was sent. */
export function isNotSent(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < MAX_CAUSES && typeof current === 'object' && current !== null; depth += 1) {
    const code = read(current, 'code');
    if (typeof code === 'string' && NOT_SENT_CODES.has(code)) return true;
    // AggregateError: Node tries every address of a host and reports each refusal.
    const errors = read(current, 'errors');
    if (Array.isArray(errors) && errors.length > 0 && errors.every((e) => isNotSent(e))) return true;
    current = read(current, 'cause');
  }
  return false;
}

/**
 * True for a TypeError, ReferenceError, SyntaxError or RangeError thrown by the worker's own
 * code. fetch reports a network failure as `TypeError: fetch failed` with the network error on
 * `cause`: that is a transport failure, not a bug; a SyntaxError about JSON is a malformed
 * upstream answer (`response.json()`), an ordinary permanent `error`.
 */
export function isProgrammerError(error: unknown): boolean {
  if (!(error instanceof Error) || !PROGRAMMER_ERRORS.has(error.name)) return false;
  if (error.name === 'TypeError' && (error.cause !== undefined || /fetch failed|network/i.test(error.message))) return false;
  // `await response.json()` on a malformed body throws a SyntaxError: the upstream's fault, not the worker's.
  if (error.name === 'SyntaxError' && /JSON/.test(error.message)) return false;
  return true;
}

/**
 * The default classifier: 403 or code FORBIDDEN is `unauthorized` ("not for this user"); 401 or
 * code UNAUTHORIZED is an `error` with reason `unauthenticated` (the BFF's credential was
 * refused); 404 or NOT_FOUND is `not-found`; a TypeError/ReferenceError/SyntaxError/RangeError
 * from the worker's own code is a permanent `error` that never counts against a breaker;
 * everything else is an `error`, retryable unless it is a 4xx other than 408/429, a permanent
 * tRPC code, a SyntaxError about JSON (a malformed answer), or says `retryable: false`.
 */
export const defaultClassify: Classifier = ({ error, timedOut }) => {
  if (timedOut) return { status: 'error', retryable: true };
  const status = statusOf(error);
  const code = read(error, 'code');
  const named = typeof code === 'string' ? code : undefined;
  if (status === 403 || (named !== undefined && FORBIDDEN_CODES.has(named))) {
    return { status: 'unauthorized', retryable: false };
  }
  if (status === 401 || (named !== undefined && UNAUTHENTICATED_CODES.has(named))) {
    return { status: 'error', retryable: false, reason: 'unauthenticated', instanceFault: false };
  }
  if (status === 404 || (named !== undefined && NOT_FOUND_CODES.has(named))) {
    return { status: 'not-found', retryable: false };
  }
  if (status === undefined && isProgrammerError(error)) {
    return { status: 'error', retryable: false, instanceFault: false, programmerError: true };
  }
  // A malformed answer (`response.json()` on a broken body): asking again rarely fixes a broken contract.
  if (error instanceof Error && error.name === 'SyntaxError') return { status: 'error', retryable: false };
  const retryAfter = read(error, 'retryAfterMs');
  const retryAfterMs = typeof retryAfter === 'number' && retryAfter >= 0 ? retryAfter : undefined;
  const permanent =
    read(error, 'retryable') === false ||
    (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) ||
    (named !== undefined && PERMANENT_CODES.has(named));
  const classification: Classification = { status: 'error', retryable: !permanent };
  if (retryAfterMs !== undefined) classification.retryAfterMs = retryAfterMs;
  if (!permanent && isNotSent(error)) classification.notSent = true;
  return classification;
};
