/**
 * Generations close the gap that in-flight invalidation leaves between replicas: a call that
 * started before another replica invalidated its key can finish after, and its write would bring
 * the old value back. Each invalidation scope (namespace, operation, params, key) has a generation
 * token in the store, replaced on every invalidation. A read fetches the four tokens with the
 * entry; an entry counts only when it was written under the tokens read now, and a write carries
 * the tokens its call read before it executed. A late write therefore carries old tokens and is
 * never served. See docs/decisions/0003-per-replica-singleflight.md.
 */
import { namespacePrefix } from './_keys.js';

/**
 * How long a generation token is kept. A result cached on a shared store lives at most this long
 * after its call read the tokens, so that a token which expires can never make an old entry match.
 */
export const GENERATION_TTL_MS = 24 * 60 * 60 * 1000;

/** The tuple of a read where no scope was ever invalidated; entries from before generations match it. */
export const NO_GENERATIONS = '-.-.-.-';

/** The generation key of an invalidation scope (a prefix from `_keys.ts`, or a full store key). */
export function generationKey(namespace: string, scope: string): string {
  return `${namespace}:g1:${scope.slice(namespacePrefix(namespace).length)}`;
}

/** The four generation keys guarding `key`: namespace, operation, params, and the key itself. */
export function generationKeysOf(namespace: string, key: string): string[] {
  const base = namespacePrefix(namespace);
  const [operation, params] = key.slice(base.length).split(':');
  const scopes = [base, `${base}${operation}:`, `${base}${operation}:${params}:`, key];
  return scopes.map((scope) => generationKey(namespace, scope));
}

/** The tokens read, as one comparable string (a missing token is `-`). */
export function generationTuple(tokens: readonly (string | undefined)[]): string {
  return tokens.map((token) => token ?? '-').join('.');
}

/** A fresh random token for an invalidation. */
export function newGeneration(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(12));
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
