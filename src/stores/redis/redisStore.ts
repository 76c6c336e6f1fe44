import { withTimeout } from '../../_internal/withTimeout.js';
import { callHook } from '../../_internal/callHook.js';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { systemClock, type Clock } from '../../_internal/clock.js';
import { clockSchema, expected, fn, parseOptions, positiveInteger, positiveNumber, v } from '../../_internal/validate.js';
import { SwitchyardError } from '../../errors/SwitchyardError.js';
import { checkTtl } from '../checkTtl.js';
import type { Store } from '../types.js';
import { loadIoredis } from './_loadIoredis.js';

/** Options for {@link redisStore}: pass `client` (yours), or `url` or `cluster` (the store creates one). */
export interface RedisStoreOptions {
  /**
   * An ioredis client you own, `Redis` or `Cluster`; create it with `enableOfflineQueue: false`
   * so commands fail fast while Redis is down.
   */
  client?: Redis | Cluster;
  /** A Redis URL; the store creates (and `close()` ends) a client with fail-fast settings. */
  url?: string;
  /**
   * URLs of one or more nodes of a Redis Cluster; the store creates (and `close()` ends) an
   * ioredis `Cluster` with fail-fast settings, which finds the other nodes itself.
   */
  cluster?: readonly string[];
  /** Options for the client created from `url` (or for each node of `cluster`), over the store's fail-fast defaults. */
  redisOptions?: RedisOptions;
  /** Prepended to every key, to share one Redis database between apps. @default '' */
  prefix?: string;
  /** Longest wait for one Redis command; then it rejects (the client keeps its own timeout too). @default 500 */
  commandTimeoutMs?: number;
  /** Keys asked for per SCAN step of `deletePrefix`. @default 500 */
  scanCount?: number;
  /** Time source for command timeouts. @default systemClock */
  clock?: Clock;
  /** Connection errors of a client the store created (commands fail on their own). */
  on?: { connectionError?(state: { error: unknown }): void };
}

/** A {@link Store} on Redis, from {@link redisStore}. */
export interface RedisStore extends Store {
  /**
   * Resolves once the client is connected and commands can be answered; rejects with `ABORTED`
   * when `signal` aborts first, or `UPSTREAM_ERROR` when the store is closed or the client ended.
   *
   * Await it before a replica serves, so that its first calls read and write the shared cache.
   * Commands sent before it resolves wait for the first connection (within `commandTimeoutMs`).
   *
   * @example
   * await store.ready({ signal: AbortSignal.timeout(5_000) });
   */
  ready(options?: { signal?: AbortSignal }): Promise<void>;
  /** Ends the client when the store created it from `url` or `cluster`; a `client` you passed stays open. */
  close(): Promise<void>;
}

/** The Redis store's defaults, documented in docs/stores.md. */
export const REDIS_STORE_DEFAULTS = { prefix: '', commandTimeoutMs: 500, scanCount: 500 } as const;

const clientSchema = expected<Redis>(
  'an ioredis client',
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    ['get', 'set', 'unlink', 'scan'].every((k) => typeof (v as Record<string, unknown>)[k] === 'function'),
);

const schema = v
  .object({
    client: clientSchema.optional(),
    url: expected<string>('a redis:// or rediss:// URL', (v) => typeof v === 'string' && /^rediss?:\/\//.test(v)).optional(),
    cluster: v
      .array(expected<string>('a redis:// or rediss:// URL', (v) => typeof v === 'string' && /^rediss?:\/\//.test(v)))
      .min(1, { error: 'at least one URL' })
      .optional(),
    redisOptions: v.record(v.string(), v.unknown()).optional(),
    prefix: v.string().optional(),
    commandTimeoutMs: positiveNumber.optional(),
    scanCount: positiveInteger.optional(),
    clock: clockSchema.optional(),
    on: v.object({ connectionError: fn<(state: { error: unknown }) => void>().optional() }).optional(),
  });

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function failFast(commandTimeoutMs: number): RedisOptions {
  // Fail fast while Redis is down instead of queueing commands (and memory) until it returns.
  return { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: commandTimeoutMs, connectTimeout: 2_000 };
}

function createClient(url: string, options: RedisOptions, commandTimeoutMs: number): Redis {
  const { Redis: Client } = loadIoredis();
  return new Client(url, { ...failFast(commandTimeoutMs), ...options });
}

function createCluster(urls: readonly string[], options: RedisOptions, commandTimeoutMs: number): Cluster {
  const { Cluster: ClusterClient } = loadIoredis();
  const { enableOfflineQueue: _queue, ...nodeOptions } = { ...failFast(commandTimeoutMs), ...options };
  const nodes = urls.map((url) => {
    const parsed = new URL(url);
    return { host: parsed.hostname, port: parsed.port === '' ? 6379 : Number(parsed.port) };
  });
  const first = new URL(urls[0]!);
  const auth = {
    ...(first.username === '' ? {} : { username: decodeURIComponent(first.username) }),
    ...(first.password === '' ? {} : { password: decodeURIComponent(first.password) }),
    ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return new ClusterClient(nodes, {
    enableOfflineQueue: options.enableOfflineQueue ?? false,
    // A cluster that is down answers CLUSTERDOWN; retrying inside one command only holds the caller.
    retryDelayOnClusterDown: 100,
    maxRedirections: 4,
    redisOptions: { ...auth, ...nodeOptions },
  });
}

function isCluster(client: Redis | Cluster): client is Cluster {
  return (client as { isCluster?: unknown }).isCluster === true;
}

const readyOptionsSchema = v.object({
  signal: expected<AbortSignal>('an AbortSignal', (value) => value instanceof AbortSignal).optional(),
});

function closedError(): SwitchyardError {
  return new SwitchyardError('UPSTREAM_ERROR', 'The Redis store is closed');
}

/**
 * A {@link Store} on Redis through ioredis: TTLs kept by Redis (`SET … PX`), prefix deletes by
 * `SCAN` + `UNLINK`, every command bounded by `commandTimeoutMs`.
 *
 * Shares cached results between BFF replicas. ioredis is an optional peer dependency, loaded only
 * by this entry (`switchyard/redis`), when the store is created. The store never hangs a caller: a
 * command that Redis does not answer in time rejects, and dedup then runs the call without the
 * cache. Until the client first connects, commands wait for the connection (within
 * `commandTimeoutMs`); after that they fail at once while Redis is down. `await store.ready()`
 * before serving, so that a new replica reads the shared cache from its first call.
 *
 * @example
 * import { redisStore } from 'switchyard/redis';
 * const store = redisStore({ url: process.env.REDIS_URL });
 * await store.ready({ signal: AbortSignal.timeout(5_000) }).catch(() => {}); // serve anyway if Redis is down
 * const dedup = createDedup({ store, ttlMs: 30_000 });
 */
export function redisStore(options: RedisStoreOptions): RedisStore {
  const parsed = parseOptions(schema, options);
  const given = (['client', 'url', 'cluster'] as const).filter((name) => parsed[name] !== undefined);
  if (given.length !== 1) {
    throw new SwitchyardError(
      'INVALID_CONFIG',
      `Expected exactly one of \`client\`, \`url\` and \`cluster\`, got ${given.length === 0 ? 'none' : given.map((name) => `\`${name}\``).join(' and ')}`,
    );
  }
  const clock = parsed.clock ?? systemClock;
  const prefix = parsed.prefix ?? REDIS_STORE_DEFAULTS.prefix;
  const commandTimeoutMs = parsed.commandTimeoutMs ?? REDIS_STORE_DEFAULTS.commandTimeoutMs;
  const scanCount = parsed.scanCount ?? REDIS_STORE_DEFAULTS.scanCount;

  const owned = parsed.client === undefined;
  const redisOptions = (parsed.redisOptions ?? {}) as RedisOptions;
  // Commands are typed once, on `Redis`: a `Cluster` takes the same single-key commands.
  const client = (
    parsed.client ??
    (parsed.url !== undefined ? createClient(parsed.url, redisOptions, commandTimeoutMs) : createCluster(parsed.cluster!, redisOptions, commandTimeoutMs))
  ) as Redis;
  const cluster = isCluster(client as Redis | Cluster) ? (client as unknown as Cluster) : undefined;
  if (owned) {
    client.on('error', (error: unknown) => callHook(parsed.on?.connectionError, { error }));
  }
  let closed = false;
  // Until the first connection, commands wait for it; after it, they fail at once while Redis is down.
  let everReady = client.status === 'ready';
  let connecting: { promise: Promise<void>; finish(error?: unknown): void } | undefined;

  /** Resolves when the client is connected: at once, or at its next `ready`; rejects if it ends. */
  function connected(): Promise<void> {
    if (closed) return Promise.reject(closedError());
    if (client.status === 'ready') {
      everReady = true;
      return Promise.resolve();
    }
    if (client.status === 'end') {
      return Promise.reject(new SwitchyardError('UPSTREAM_ERROR', 'The Redis client has ended and no longer reconnects'));
    }
    if (connecting) return connecting.promise;
    let settle!: (error?: unknown) => void;
    const promise = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    promise.catch(() => {});
    const onReady = () => finish();
    const onEnd = () => finish(new SwitchyardError('UPSTREAM_ERROR', 'The Redis client has ended and no longer reconnects'));
    function finish(error?: unknown): void {
      client.off('ready', onReady);
      client.off('end', onEnd);
      connecting = undefined;
      if (error === undefined) everReady = true;
      settle(error);
    }
    client.on('ready', onReady);
    client.on('end', onEnd);
    connecting = { promise, finish };
    // A client made with `lazyConnect` connects on its first command; waiting would never send one.
    if (client.status === 'wait') client.connect().catch(() => {});
    return promise;
  }

  function bounded<T>(command: (client: Redis) => Promise<T>, name: string): Promise<T> {
    if (closed) return Promise.reject(closedError());
    if (client.status === 'ready') everReady = true;
    const firstConnection = everReady ? undefined : connected();
    let timedOut = false;
    // A command whose caller gave up while the client was connecting is never sent.
    const send = () => (timedOut ? new Promise<T>(() => {}) : command(client));
    return withTimeout(() => (firstConnection ? firstConnection.then(send) : Promise.resolve().then(send)), {
      clock,
      ms: commandTimeoutMs,
      onTimeout: () => {
        timedOut = true;
        const detail = firstConnection && !everReady ? ' (not connected yet)' : '';
        return new SwitchyardError('UPSTREAM_ERROR', `Redis ${name} did not answer within ${commandTimeoutMs} ms${detail}`);
      },
    });
  }

  return {
    async get(key) {
      const value = await bounded((client) => client.get(prefix + key), 'GET');
      return value ?? undefined;
    },
    async set(key, value, { ttlMs }) {
      const px = checkTtl(ttlMs);
      await bounded((client) => client.set(prefix + key, value, 'PX', px), 'SET');
    },
    async delete(key) {
      await bounded((client) => client.unlink(prefix + key), 'UNLINK');
    },
    async deletePrefix(keyPrefix) {
      // ioredis applies its own `keyPrefix` to commands but not to SCAN patterns or replies.
      const clientPrefix = client.options.keyPrefix ?? '';
      if (clientPrefix + prefix + keyPrefix === '') {
        // `SCAN MATCH *` would unlink every key of a database the store may share with others.
        throw new SwitchyardError('INVALID_INPUT', 'Refusing to delete every key: give `deletePrefix` a prefix, or the store a `prefix`');
      }
      const pattern = `${escapeGlob(clientPrefix + prefix + keyPrefix)}*`;
      // A cluster spreads keys over its masters: scan each one, and unlink key by key (one
      // UNLINK of keys in different slots is refused with CROSSSLOT).
      const nodes: Redis[] = cluster ? await bounded(async () => cluster.nodes('master'), 'CLUSTER NODES') : [client];
      for (const node of nodes) {
        let cursor = '0';
        do {
          const [next, keys] = await bounded(() => node.scan(cursor, 'MATCH', pattern, 'COUNT', scanCount), 'SCAN');
          if (keys.length > 0) {
            const unprefixed = keys.map((key) => key.slice(clientPrefix.length));
            if (cluster) await Promise.all(unprefixed.map((key) => bounded((c) => c.unlink(key), 'UNLINK')));
            else await bounded((c) => c.unlink(...unprefixed), 'UNLINK');
          }
          cursor = next;
        } while (cursor !== '0');
      }
    },
    async ready(readyOptions = {}) {
      const { signal } = parseOptions(readyOptionsSchema, readyOptions);
      if (signal?.aborted) throw new SwitchyardError('ABORTED', 'Stopped waiting for Redis', { cause: signal.reason });
      if (!signal) return connected();
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(new SwitchyardError('ABORTED', 'Stopped waiting for Redis', { cause: signal.reason }));
        signal.addEventListener('abort', onAbort, { once: true });
        connected()
          .then(resolve, reject)
          .finally(() => signal.removeEventListener('abort', onAbort));
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      connecting?.finish(closedError());
      if (!owned || client.status === 'end') return;
      let onEnd = () => {};
      const ended = new Promise<void>((resolve) => {
        onEnd = resolve;
        client.once('end', onEnd);
      });
      // Between reconnect attempts there is no socket: disconnect() only cancels the next attempt,
      // and no 'end' follows.
      const idle = client.status === 'reconnecting';
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
      if (idle || (client.status as string) === 'end') {
        client.off('end', onEnd);
        return;
      }
      // Waits for the end at most 2 s; a client that never reports it is left behind.
      await withTimeout(() => ended, { clock, ms: 2_000, onTimeout: () => undefined }).catch(() => {});
    },
  };
}
