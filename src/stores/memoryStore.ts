import { systemClock, type Clock } from '../_internal/clock.js';
import { createLru } from '../_internal/lru.js';
import { clockSchema, expected, parseOptions, positiveInteger, v } from '../_internal/validate.js';
import type { Store } from './types.js';
import { checkTtl } from './checkTtl.js';

/** Options for {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** Most entries kept; the least recently used go first. @default 10_000 */
  maxEntries?: number;
  /** Most characters (keys plus values, UTF-16 code units; bytes for ASCII JSON) kept. @default 52_428_800 (50 MiB) */
  maxSizeBytes?: number;
  /** Time source for TTLs. @default systemClock */
  clock?: Clock;
}

/** The memory store's defaults, documented in docs/stores.md. */
export const MEMORY_STORE_DEFAULTS = { maxEntries: 10_000, maxSizeBytes: 50 * 1024 * 1024 } as const;


const schema = v
  .object({ maxEntries: positiveInteger.optional(), maxSizeBytes: positiveInteger.optional(), clock: clockSchema.optional() });

const memoryStores = new WeakSet<Store>();

/**
 * True for a store made by {@link memoryStore}: it answers in microtasks and cannot hang, so
 * callers may skip their timeout around it.
 */
export function isMemoryStore(store: Store): boolean {
  return memoryStores.has(store);
}

/**
 * An in-process {@link Store} with per-entry TTLs, bounded by entries and size (least recently used go first).
 *
 * The default store of `createDedup`. It is per process: use `redisStore` from `switchyard/redis`
 * to share results between replicas. Expired entries are dropped when read and when evicted; no
 * timer runs in the background.
 */
export function memoryStore(options: MemoryStoreOptions = {}): Store {
  const parsed = parseOptions(schema, options);
  const clock = parsed.clock ?? systemClock;
  // An entry expires at exactly its TTL, as in Redis, so both stores answer the same.
  const cache = createLru<{ value: string; expiresAt: number }>({
    max: parsed.maxEntries ?? MEMORY_STORE_DEFAULTS.maxEntries,
    maxSize: parsed.maxSizeBytes ?? MEMORY_STORE_DEFAULTS.maxSizeBytes,
    sizeOf: (entry, key) => Math.max(1, entry.value.length + key.length),
  });
  const store: Store = {
    get: async (key) => {
      const entry = cache.get(key);
      if (entry === undefined) return undefined;
      if (clock.now() >= entry.expiresAt) {
        cache.delete(key);
        return undefined;
      }
      return entry.value;
    },
    set: async (key, value, { ttlMs }) => {
      cache.set(key, { value, expiresAt: clock.now() + checkTtl(ttlMs) });
    },
    delete: async (key) => {
      cache.delete(key);
    },
    deletePrefix: async (prefix) => {
      for (const key of [...cache.keys()]) if (key.startsWith(prefix)) cache.delete(key);
    },
    // In process: ready as soon as it exists.
    ready: async () => {},
  };
  memoryStores.add(store);
  return store;
}
