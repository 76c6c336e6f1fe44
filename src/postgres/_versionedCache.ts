import { LRUCache } from 'lru-cache';
import type { Clock } from '../_internal/clock.js';

/** A loaded value with the version of each row it was built from (row key → version). */
export interface Loaded<V> {
  value: V | undefined;
  rows: ReadonlyMap<string, number>;
}

/** What a change notification says about one row. */
export interface RowChange {
  key: string;
  row: string;
  version: number;
  deleted: boolean;
}

interface Options<V> {
  max: number;
  ttlMs: number;
  /** TTL of "no such key" entries. */
  negativeTtlMs: number;
  clock: Clock;
  /** Loads the given keys (or every row) in one snapshot; keys missing from the result do not exist. */
  load(keys: readonly string[] | 'all'): Promise<Map<string, Loaded<V>>>;
}

/**
 * An lru-cache of directory rows that change notifications keep current.
 *
 * A load that overlaps an invalidation of its key is not cached (it may predate the change): its
 * callers get a fresh load instead. A notification whose version is not newer than the cached row
 * is a late one and is ignored.
 */
export interface VersionedCache<V> {
  /** The cached value (synchronously) or a shared load of it. */
  get(key: string): V | undefined | Promise<V | undefined>;
  /** Applies a notification; false when it was a late one, already reflected in the cache. */
  apply(change: RowChange): boolean;
  /**
   * Loads again what is cached (or, with `'all'`, every row) in one snapshot and drops what is
   * gone: after a reconnect, since notifications sent while disconnected are lost.
   */
  reload(scope: 'cached' | 'all'): Promise<void>;
  clear(): void;
}

export function versionedCache<V>(options: Options<V>): VersionedCache<V> {
  const entries = new LRUCache<string, Loaded<V>>({
    max: options.max,
    ttl: options.ttlMs,
    // lru-cache reads a start time of 0 as "none"; the offset keeps a fake clock at 0 working.
    perf: { now: () => options.clock.now() + 1 },
  });
  const inflight = new Map<string, Promise<V | undefined>>();
  // Every change and reset gets the next sequence number; a load may store what it read only if
  // nothing touched its key after it started.
  let sequence = 0;
  let resetAt = 0;
  const changedAt = new Map<string, number>();
  // Start sequence of every load and reload running now.
  const loading = new Set<{ start: number }>();
  const untouchedSince = (key: string, start: number) => resetAt <= start && (changedAt.get(key) ?? 0) <= start;
  // A change older than every running load cannot matter any more.
  const prune = () => {
    if (loading.size === 0) {
      changedAt.clear();
      return;
    }
    if (changedAt.size < 1_000) return;
    const oldest = Math.min(...[...loading].map((r) => r.start));
    for (const [key, at] of changedAt) if (at <= oldest) changedAt.delete(key);
  };
  const store = (key: string, loaded: Loaded<V>) => {
    entries.set(key, loaded, loaded.value === undefined ? { ttl: options.negativeTtlMs } : {});
  };

  const loadOne = (key: string): Promise<V | undefined> => {
    const running = inflight.get(key);
    if (running !== undefined) return running;
    const promise = (async () => {
      try {
        for (let attempt = 1; ; attempt += 1) {
          const load = { start: sequence };
          loading.add(load);
          let found: Loaded<V>;
          try {
            found = (await options.load([key])).get(key) ?? { value: undefined, rows: new Map<string, number>() };
          } finally {
            loading.delete(load);
          }
          if (untouchedSince(key, load.start)) {
            store(key, found);
            return found.value;
          }
          // Changed while loading: the read may predate the change. Read again; after a few
          // tries under constant change, answer with the latest read without caching it.
          if (attempt >= 3) return found.value;
        }
      } finally {
        inflight.delete(key);
        prune();
      }
    })();
    inflight.set(key, promise);
    return promise;
  };

  return {
    get(key) {
      const hit = entries.get(key);
      return hit === undefined ? loadOne(key) : hit.value;
    },
    apply(change) {
      const cached = entries.peek(change.key);
      if (cached !== undefined) {
        const version = cached.rows.get(change.row);
        const late = change.deleted ? version === undefined : version !== undefined && version >= change.version;
        if (late) return false;
      }
      sequence += 1;
      changedAt.set(change.key, sequence);
      entries.delete(change.key);
      return true;
    },
    async reload(scope) {
      sequence += 1;
      resetAt = sequence;
      const start = sequence;
      const cached = [...entries.keys()];
      const load = { start };
      loading.add(load);
      try {
        const found = await options.load(scope === 'all' ? 'all' : cached);
        for (const key of cached) if (!found.has(key) && untouchedSince(key, start)) entries.delete(key);
        for (const [key, loaded] of found) {
          if (untouchedSince(key, start)) store(key, loaded);
          else entries.delete(key);
        }
      } finally {
        loading.delete(load);
        prune();
      }
    },
    clear() {
      sequence += 1;
      resetAt = sequence;
      entries.clear();
    },
  };
}
