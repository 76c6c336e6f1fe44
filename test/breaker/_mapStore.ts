import type { Store } from '../../src/stores/types.js';

/** A tiny Map-backed Store with TTLs read from Date.now (so fake timers drive expiry). */
export function mapStore() {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const counts = { get: 0, set: 0 };
  const store: Store = {
    async get(key) {
      counts.get += 1;
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= Date.now()) {
        entries.delete(key);
        return undefined;
      }
      return entry.value;
    },
    async set(key, value, { ttlMs }) {
      counts.set += 1;
      entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    },
    async delete(key) {
      entries.delete(key);
    },
    async deletePrefix(prefix) {
      for (const key of [...entries.keys()]) if (key.startsWith(prefix)) entries.delete(key);
    },
  };
  return { store, entries, counts };
}
