import { sha256Hex } from '../_internal/sha256.js';

/** Bump when the entry format or key layout changes, so old entries are never misread. */
const FORMAT = 'v1';

/** The principal part of a key: shared entries can never equal a principal's. */
export function principalPart(principal: string | undefined): string {
  return principal === undefined ? 's' : `p:${principal}`;
}

const digest = (domain: string, text: string) => sha256Hex(`${domain}\u0000${text}`).slice(0, 32);

/** The prefix of every key of one operation: what invalidating the operation deletes. */
export function operationPrefix(namespace: string, operation: string): string {
  return `${namespace}:${FORMAT}:${encodeURIComponent(operation)}:`;
}

/** The prefix of every principal's key for one call's data: what invalidating that data deletes. */
export function paramsPrefix(namespace: string, operation: string, params: string): string {
  return `${operationPrefix(namespace, operation)}${digest('params', params)}:`;
}

/**
 * Store keys: `<namespace>:v1:<operation>:<hash(data)>:<hash(principal)>`. Hashed so no raw
 * user id or parameter reaches the store; layered so invalidation by operation or by data is a
 * prefix delete.
 */
export function storeKey(namespace: string, operation: string, params: string, principal: string): string {
  return `${paramsPrefix(namespace, operation, params)}${digest(`${namespace}\u0000principal`, principal)}`;
}

/** The prefix of every key in a namespace: what `invalidate()` with no target deletes. */
export function namespacePrefix(namespace: string): string {
  return `${namespace}:${FORMAT}:`;
}
