import { getEventListeners } from 'node:events';
import { memoryStore } from '../../src/stores/memoryStore.js';
import type { Store } from '../../src/stores/types.js';

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise reaction run (no timers involved). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 50; i += 1) await Promise.resolve();
}

export function abortListeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

export type StoreMode = 'ok' | 'reject' | 'hang';

/** A memory store whose behaviour can be switched to failing or hanging, recording every call. */
export function controllableStore(): Store & {
  mode: StoreMode;
  calls: { method: string; key: string; value?: string; ttlMs?: number }[];
  hanging: Deferred<never>[];
} {
  const inner = memoryStore();
  const self = {
    mode: 'ok' as StoreMode,
    calls: [] as { method: string; key: string; value?: string; ttlMs?: number }[],
    hanging: [] as Deferred<never>[],
    perform<T>(call: () => Promise<T>): Promise<T> {
      if (self.mode === 'reject') return Promise.reject(new Error('ECONNREFUSED 10.0.0.7:6379'));
      if (self.mode === 'hang') {
        const never = deferred<never>();
        self.hanging.push(never);
        return never.promise;
      }
      return call();
    },
    get(key: string) {
      self.calls.push({ method: 'get', key });
      return self.perform(() => inner.get(key));
    },
    set(key: string, value: string, options: { ttlMs: number }) {
      self.calls.push({ method: 'set', key, value, ttlMs: options.ttlMs });
      return self.perform(() => inner.set(key, value, options));
    },
    delete(key: string) {
      self.calls.push({ method: 'delete', key });
      return self.perform(() => inner.delete(key));
    },
    deletePrefix(prefix: string) {
      self.calls.push({ method: 'deletePrefix', key: prefix });
      return self.perform(() => inner.deletePrefix(prefix));
    },
  };
  return self;
}
