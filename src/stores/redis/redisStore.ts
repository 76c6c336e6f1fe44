import type { Redis, RedisOptions } from 'ioredis';
import { systemClock, type Clock } from '../../_internal/clock.js';
import { clockSchema, expected, fn, parseOptions, positiveInteger, positiveNumber, v } from '../../_internal/validate.js';
import { SwitchyardError } from '../../errors/SwitchyardError.js';
import { checkTtl } from '../memory/checkTtl.js';
import type { Store } from '../types.js';

/** Options for {@link redisStore}: pass `client` (yours) or `url` (the store creates one). */
export interface RedisStoreOptions {
  /** An ioredis client you own; create it with `enableOfflineQueue: false` so commands fail fast while Redis is down. */
  client?: Redis;
  /** A Redis URL; the store creates (and `close()` ends) a client with fail-fast settings. */
  url?: string;
  /** Options for the client created from `url`, over the store's fail-fast defaults. */
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
  /** Ends the client when the store created it from `url`; a `client` you passed stays open. */
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

async function createClient(url: string, options: RedisOptions, commandTimeoutMs: number): Promise<Redis> {
  let Client: typeof Redis;
  try {
    ({ Redis: Client } = await import('ioredis'));
  } catch (cause) {
    throw new SwitchyardError('INVALID_CONFIG', 'Expected the `ioredis` package to be installed for `redisStore({ url })`', { cause });
  }
  return new Client(url, {
    // Fail fast while Redis is down instead of queueing commands (and memory) until it returns.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2_000,
    ...options,
  });
}

/**
 * A {@link Store} on Redis through ioredis: TTLs kept by Redis (`SET … PX`), prefix deletes by
 * `SCAN` + `UNLINK`, every command bounded by `commandTimeoutMs`.
 *
 * Shares cached results between BFF replicas. ioredis is an optional peer dependency, loaded only
 * by this entry (`switchyard/redis`). The store never hangs a caller: a command that Redis does not
 * answer in time rejects, and dedup then runs the call without the cache.
 *
 * @example
 * import { redisStore } from 'switchyard/redis';
 * const dedup = createDedup({ store: redisStore({ url: process.env.REDIS_URL }), ttlMs: 30_000 });
 */
export function redisStore(options: RedisStoreOptions): RedisStore {
  const parsed = parseOptions(schema, options);
  if ((parsed.client === undefined) === (parsed.url === undefined)) {
    throw new SwitchyardError(
      'INVALID_CONFIG',
      `Expected exactly one of \`client\` and \`url\`, got ${parsed.client === undefined ? 'neither' : 'both'}`,
    );
  }
  const clock = parsed.clock ?? systemClock;
  const prefix = parsed.prefix ?? REDIS_STORE_DEFAULTS.prefix;
  const commandTimeoutMs = parsed.commandTimeoutMs ?? REDIS_STORE_DEFAULTS.commandTimeoutMs;
  const scanCount = parsed.scanCount ?? REDIS_STORE_DEFAULTS.scanCount;

  const owned = parsed.client === undefined;
  const clientReady: Promise<Redis> = owned
    ? createClient(parsed.url!, (parsed.redisOptions ?? {}) as RedisOptions, commandTimeoutMs).then((client) => {
        client.on('error', (error: unknown) => {
          try {
            parsed.on?.connectionError?.({ error });
          } catch {
            // Observation only.
          }
        });
        return client;
      })
    : Promise.resolve(parsed.client!);
  clientReady.catch(() => {});
  let closed = false;

  function bounded<T>(command: (client: Redis) => Promise<T>, name: string): Promise<T> {
    if (closed) return Promise.reject(new SwitchyardError('UPSTREAM_ERROR', 'The Redis store is closed'));
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const timer = clock.setTimeout(() => {
        done = true;
        reject(new SwitchyardError('UPSTREAM_ERROR', `Redis ${name} did not answer within ${commandTimeoutMs} ms`));
      }, commandTimeoutMs);
      clientReady.then(command).then(
        (value) => {
          if (done) return;
          done = true;
          clock.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          if (done) return;
          done = true;
          clock.clearTimeout(timer);
          reject(error);
        },
      );
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
      const client = await clientReady;
      // ioredis applies its own `keyPrefix` to commands but not to SCAN patterns or replies.
      const clientPrefix = client.options.keyPrefix ?? '';
      if (clientPrefix + prefix + keyPrefix === '') {
        // `SCAN MATCH *` would unlink every key of a database the store may share with others.
        throw new SwitchyardError('INVALID_INPUT', 'Refusing to delete every key: give `deletePrefix` a prefix, or the store a `prefix`');
      }
      const pattern = `${escapeGlob(clientPrefix + prefix + keyPrefix)}*`;
      let cursor = '0';
      do {
        const [next, keys] = await bounded((c) => c.scan(cursor, 'MATCH', pattern, 'COUNT', scanCount), 'SCAN');
        if (keys.length > 0) {
          const unprefixed = keys.map((key) => key.slice(clientPrefix.length));
          await bounded((c) => c.unlink(...unprefixed), 'UNLINK');
        }
        cursor = next;
      } while (cursor !== '0');
    },
    async close() {
      if (closed) return;
      closed = true;
      if (!owned) return;
      const client = await clientReady.catch(() => undefined);
      if (!client || client.status === 'end') return;
      let onEnd = () => {};
      const ended = new Promise<void>((resolve) => {
        onEnd = resolve;
        client.once('end', onEnd);
      });
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
      if ((client.status as string) === 'end') {
        client.off('end', onEnd);
        return;
      }
      let timer: unknown;
      await Promise.race([ended, new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, 2_000)))]);
      clock.clearTimeout(timer);
    },
  };
}
