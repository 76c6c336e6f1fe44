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
}
