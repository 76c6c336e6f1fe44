import type { Instance } from '../router/types.js';

/** How one failed attempt counts. */
export interface Classification {
  status: 'unauthorized' | 'not-found' | 'error';
  /** Whether another attempt may help. Ignored for `unauthorized` and `not-found`. */
  retryable: boolean;
  /** A server-requested delay before the next attempt (Retry-After). */
  retryAfterMs?: number;
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

const UNAUTHORIZED_CODES = new Set(['UNAUTHORIZED', 'FORBIDDEN']);
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

/**
 * The default classifier: status/statusCode 401/403 or code UNAUTHORIZED/FORBIDDEN (tRPC) are
 * `unauthorized`; 404 or NOT_FOUND is `not-found`; everything else is an `error`, retryable unless
 * it is a 4xx other than 408/429, a permanent tRPC code, or says `retryable: false`.
 */
export const defaultClassify: Classifier = ({ error, timedOut }) => {
  if (timedOut) return { status: 'error', retryable: true };
  const status = statusOf(error);
  const code = read(error, 'code');
  if (status === 401 || status === 403 || (typeof code === 'string' && UNAUTHORIZED_CODES.has(code))) {
    return { status: 'unauthorized', retryable: false };
  }
  if (status === 404 || (typeof code === 'string' && NOT_FOUND_CODES.has(code))) {
    return { status: 'not-found', retryable: false };
  }
  const retryAfter = read(error, 'retryAfterMs');
  const retryAfterMs = typeof retryAfter === 'number' && retryAfter >= 0 ? retryAfter : undefined;
  const permanent =
    read(error, 'retryable') === false ||
    (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) ||
    (typeof code === 'string' && PERMANENT_CODES.has(code));
  return retryAfterMs === undefined
    ? { status: 'error', retryable: !permanent }
    : { status: 'error', retryable: !permanent, retryAfterMs };
};
