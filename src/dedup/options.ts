import type { Clock } from '../_internal/clock.js';
import { clockSchema, expected, fn, nonNegativeNumber, parseOptions, positiveInteger, positiveNumber, v } from '../_internal/validate.js';
import { storeSchema } from '../stores/storeSchema.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { Store } from '../stores/types.js';
import type { DedupHooks } from './hooks.js';

/** Options for `createDedup`. Every default is listed in {@link DEDUP_DEFAULTS}. */
export interface DedupOptions {
  /** Where cached results live; share one `redisStore` between replicas. @default memoryStore({ maxEntries, maxSizeBytes }) */
  store?: Store;
  /** How long a result is served from the cache; 0 shares in-flight calls only. @default 0 */
  ttlMs?: number;
  /** After `ttlMs`, keep serving the old result this long while one background call refreshes it. @default 0 */
  staleWhileRevalidateMs?: number;
  /** Entries kept by the default memory store (not allowed with `store`). @default 10_000 */
  maxEntries?: number;
  /** Size kept by the default memory store, in characters (not allowed with `store`). @default 52_428_800 */
  maxSizeBytes?: number;
  /** Largest serialised result cached, in UTF-8 bytes; larger ones are returned but not cached. @default 1_048_576 */
  maxValueBytes?: number;
  /** Longest wait on the store per read or write; past it the call runs without the cache. @default 50 */
  storeTimeoutMs?: number;
  /** After a store failure, calls skip the store this long before trying it again. @default 1000 */
  storeRetryMs?: number;
  /** First part of every store key, so several apps can share one Redis. @default 'switchyard' */
  namespace?: string;
  /** Time source for TTLs and store timeouts. @default systemClock */
  clock?: Clock;
  /** Hooks for metrics and logs. */
  on?: DedupHooks;
}

/** Every dedup default, in one place. */
export const DEDUP_DEFAULTS = {
  ttlMs: 0,
  staleWhileRevalidateMs: 0,
  maxEntries: 10_000,
  maxSizeBytes: 50 * 1024 * 1024,
  maxValueBytes: 1024 * 1024,
  storeTimeoutMs: 50,
  storeRetryMs: 1_000,
  namespace: 'switchyard',
} as const;



const hookNames = ['bypass', 'hit', 'miss', 'join', 'storeError', 'notCached', 'refreshError'] as const;

const schema = v
  .object({
    store: storeSchema.optional(),
    ttlMs: nonNegativeNumber.optional(),
    staleWhileRevalidateMs: nonNegativeNumber.optional(),
    maxEntries: positiveInteger.optional(),
    maxSizeBytes: positiveInteger.optional(),
    maxValueBytes: positiveInteger.optional(),
    storeTimeoutMs: positiveNumber.optional(),
    storeRetryMs: nonNegativeNumber.optional(),
    namespace: expected<string>('a non-empty string', (v) => typeof v === 'string' && v.length > 0).optional(),
    clock: clockSchema.optional(),
    on: v
      .object(Object.fromEntries(hookNames.map((name) => [name, fn<(state: unknown) => void>().optional()])))
      .optional(),
  });

export function parseDedupOptions(options: unknown): DedupOptions {
  const parsed = parseOptions(schema, options ?? {}) as DedupOptions;
  if (parsed.store && (parsed.maxEntries !== undefined || parsed.maxSizeBytes !== undefined)) {
    const field = parsed.maxEntries !== undefined ? 'maxEntries' : 'maxSizeBytes';
    throw new SwitchyardError(
      'INVALID_CONFIG',
      `Expected \`${field}\` to be set on the store itself when \`store\` is given, got both`,
    );
  }
  return parsed;
}
