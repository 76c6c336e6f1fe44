/** A bounded map that drops its least recently used entries first. */
export interface Lru<V> {
  /** The value of `key`, marking it most recently used. */
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  delete(key: string): void;
  clear(): void;
  keys(): IterableIterator<string>;
}

export interface LruOptions<V> {
  /** Most entries kept. */
  max: number;
  /** Most total size kept, with `sizeOf`; an entry larger than this on its own is not stored. */
  maxSize?: number;
  sizeOf?: (value: V, key: string) => number;
}

/**
 * Creates an LRU map on a `Map`'s insertion order: a hit moves its key to the end, eviction takes
 * from the front. The core needs no more than this, and lru-cache's full feature set (TTLs,
 * fetch, disposal) cost a quarter of the core's browser bundle.
 */
export function createLru<V>(options: LruOptions<V>): Lru<V> {
  const map = new Map<string, { value: V; size: number }>();
  const maxSize = options.maxSize ?? Infinity;
  let total = 0;
  const remove = (key: string) => {
    const entry = map.get(key);
    if (entry === undefined) return;
    map.delete(key);
    total -= entry.size;
  };
  return {
    get(key) {
      const entry = map.get(key);
      if (entry === undefined) return undefined;
      map.delete(key);
      map.set(key, entry);
      return entry.value;
    },
    set(key, value) {
      remove(key);
      const size = options.sizeOf?.(value, key) ?? 0;
      if (size > maxSize) return;
      map.set(key, { value, size });
      total += size;
      for (const oldest of map.keys()) {
        if (map.size <= options.max && total <= maxSize) break;
        remove(oldest);
      }
    },
    delete: remove,
    clear() {
      map.clear();
      total = 0;
    },
    keys: () => map.keys(),
  };
}
