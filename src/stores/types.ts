/**
 * A key-value store with TTLs, shared by the result cache and breaker state.
 *
 * The memory store is the default; `switchyard/redis` shares state between replicas. Values are
 * strings (callers serialise); every key is already namespaced and hashed by the caller.
 */
export interface Store {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options: { ttlMs: number }): Promise<void>;
  delete(key: string): Promise<void>;
  /** Deletes every key starting with `prefix` (invalidation by operation, or all). */
  deletePrefix(prefix: string): Promise<void>;
  /**
   * Resolves once the store can answer (a network store: connected); rejects when `signal` aborts
   * first. Optional: a store without it is ready when created. Await it before serving so that a
   * new replica shares the cache from its first call.
   */
  ready?(options?: { signal?: AbortSignal }): Promise<void>;
}
