import { z } from 'zod';
import { redactedError, redactSecrets } from '../../_internal/redact.js';
import { expected, fn, parseOptions, positiveInteger, timerMs } from '../../_internal/validate.js';
import { SwitchyardError } from '../../errors/SwitchyardError.js';

/** Options of {@link clientPool}. */
export interface ClientPoolOptions<K, C> {
  /** Creates the client of a key: lazily, on the first `get`, once per key (concurrent gets share one create). */
  create(key: K): C | Promise<C>;
  /**
   * Health check. `false` or a throw disposes the client; the next `get` creates a new one.
   * With `checkIntervalMs` it runs on that interval; without, it runs each time `get` hands out a
   * client that already existed (a freshly created client is not checked).
   */
  check?(client: C, key: K): boolean | Promise<boolean>;
  /** Closes a client (evicted, unhealthy, beyond `max`, or the pool closed). What it throws is ignored. */
  dispose?(client: C, key: K): void | Promise<void>;
  /**
   * Most live clients; beyond it the least recently used one is disposed.
   * @default Infinity
   */
  max?: number;
  /** Runs `check` on every live client at this interval (the timer is unref'd and stopped by `close`). */
  checkIntervalMs?: number;
  /**
   * The identity of a key: two keys with the same string share a client.
   * @default String(key)
   */
  keyOf?(key: K): string;
}

/** A pool of one client per key, from {@link clientPool}. */
export interface ClientPool<K, C> {
  /** The key's client, created on first use. Rejects with `UPSTREAM_ERROR` when `create` fails (the next `get` tries again). */
  get(key: K): Promise<C>;
  /** Disposes the key's client now (a node removed, its URL changed); the next `get` creates a new one. */
  evict(key: K): Promise<void>;
  /** Disposes every client whose key is not listed (shards that left the active policy). */
  retain(keys: Iterable<K>): Promise<void>;
  /** The identities (`keyOf`) of the clients alive or being created, least recently used first. */
  keys(): string[];
  /** Disposes every client; `get` rejects afterwards. */
  close(): Promise<void>;
}

interface Entry<K, C> {
  readonly key: K;
  readonly id: string;
  readonly ready: Promise<C>;
  client?: { value: C };
  checking?: Promise<boolean>;
}

const schema = z
  .object({
    create: fn(),
    check: fn().optional(),
    dispose: fn().optional(),
    max: positiveInteger.optional(),
    checkIntervalMs: timerMs.optional(),
    keyOf: fn().optional(),
  })
  .strict();

const keySchema = expected<string>('a string', (v) => typeof v === 'string');

/**
 * A pool of one long-lived client per key — a `pg.Pool` per shard, a tRPC client per node, an
 * undici `Agent` per origin — created lazily, reused, health-checked and disposed when its key
 * leaves.
 *
 * Clients are expensive to create and hold sockets, so a router that sends each call to a shard
 * keeps one per shard and drops the ones whose shard left the policy (`retain`). Errors carry no
 * credentials: a `create` that fails with a message holding `postgres://app:secret@…` rejects with
 * a `SwitchyardError` whose message and `cause` show `postgres://***@…`.
 *
 * @example
 * ```ts
 * import { clientPool } from 'switchyard/routing';
 *
 * interface Db { query(sql: string): Promise<unknown>; end(): Promise<void> }
 * declare function connect(url: string): Db;
 *
 * const pools = clientPool<string, Db>({
 *   create: (url) => connect(url),
 *   dispose: (db) => db.end(),
 *   max: 32,
 * });
 * const db = await pools.get('postgres://app@shard-1.internal/app');
 * ```
 */
export function clientPool<K, C>(options: ClientPoolOptions<K, C>): ClientPool<K, C> {
  parseOptions(schema, options);
  const { create, check, dispose } = options;
  const max = options.max ?? Infinity;
  const intervalMs = options.checkIntervalMs;
  const keyOf = options.keyOf ?? ((key: K) => String(key));
  const entries = new Map<string, Entry<K, C>>();
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function identity(key: K): string {
    const id = keyOf(key);
    return parseOptions(keySchema, id, 'keyOf(key)');
  }

  function closedError(): SwitchyardError {
    return new SwitchyardError('UPSTREAM_ERROR', 'The client pool is closed');
  }

  async function disposeEntry(entry: Entry<K, C>): Promise<void> {
    let client: C;
    try {
      client = await entry.ready;
    } catch {
      return;
    }
    try {
      await dispose?.(client, entry.key);
    } catch {
      // Disposal is best effort: a client that fails to close is dropped all the same.
    }
  }

  function remove(entry: Entry<K, C>): Promise<void> {
    if (entries.get(entry.id) !== entry) return Promise.resolve();
    entries.delete(entry.id);
    if (entries.size === 0) stopTimer();
    return disposeEntry(entry);
  }

  function open(key: K, id: string): Entry<K, C> {
    const ready = (async () => {
      try {
        return await create(key);
      } catch (cause) {
        throw new SwitchyardError('UPSTREAM_ERROR', `Creating the client for "${redactSecrets(id)}" failed`, {
          cause: redactedError(cause),
        });
      }
    })();
    const entry: Entry<K, C> = { key, id, ready };
    ready.then(
      (value) => {
        entry.client = { value };
      },
      () => {
        if (entries.get(id) === entry) entries.delete(id);
        if (entries.size === 0) stopTimer();
      },
    );
    entries.set(id, entry);
    while (entries.size > max) {
      const oldest = entries.values().next().value!;
      void remove(oldest);
    }
    startTimer();
    return entry;
  }

  function healthy(entry: Entry<K, C>): Promise<boolean> {
    if (check === undefined || entry.client === undefined) return Promise.resolve(true);
    const { value } = entry.client;
    entry.checking ??= (async () => {
      try {
        return (await check(value, entry.key)) === true;
      } catch {
        return false;
      }
    })().finally(() => {
      entry.checking = undefined;
    });
    return entry.checking;
  }

  function startTimer(): void {
    if (intervalMs === undefined || check === undefined || timer !== undefined || closed) return;
    timer = setTimeout(() => void sweep(), intervalMs);
    (timer as { unref?: () => void }).unref?.();
  }

  function stopTimer(): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    timer = undefined;
  }

  async function sweep(): Promise<void> {
    const live = [...entries.values()].filter((entry) => entry.client !== undefined);
    await Promise.all(
      live.map(async (entry) => {
        if (!(await healthy(entry))) await remove(entry);
      }),
    );
    timer = undefined;
    if (entries.size > 0) startTimer();
  }

  return {
    async get(key) {
      for (;;) {
        if (closed) throw closedError();
        const id = identity(key);
        let entry = entries.get(id);
        const existed = entry?.client !== undefined;
        if (entry === undefined) entry = open(key, id);
        else {
          entries.delete(id);
          entries.set(id, entry);
        }
        const client = await entry.ready;
        if (entries.get(id) !== entry) continue;
        if (existed && intervalMs === undefined && !(await healthy(entry))) {
          await remove(entry);
          continue;
        }
        if (entries.get(id) !== entry) continue;
        return client;
      }
    },
    async evict(key) {
      const entry = entries.get(identity(key));
      if (entry !== undefined) await remove(entry);
    },
    async retain(keys) {
      const keep = new Set<string>();
      for (const key of keys) keep.add(identity(key));
      await Promise.all([...entries.values()].filter((entry) => !keep.has(entry.id)).map(remove));
    },
    keys() {
      return [...entries.keys()];
    },
    async close() {
      closed = true;
      stopTimer();
      const all = [...entries.values()];
      entries.clear();
      await Promise.all(all.map(disposeEntry));
    },
  };
}
