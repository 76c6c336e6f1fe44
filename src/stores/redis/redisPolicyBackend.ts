import { withTimeout } from '../../_internal/withTimeout.js';
import { systemClock } from '../../_internal/clock.js';
import { callEach, callHook } from '../../_internal/callHook.js';
import type { Redis, RedisOptions } from 'ioredis';
import { expected, fn, parseOptions, positiveNumber, v } from '../../_internal/validate.js';
import { SwitchyardError } from '../../errors/SwitchyardError.js';
import { EMPTY_POLICY_STATE, type PolicyBackend, type PolicyState, type ReplicaStatus } from '../../routing/policy/backend.js';

/** Options of {@link redisPolicyBackend}: pass `client` (yours) or `url` (the backend creates one). */
export interface RedisPolicyBackendOptions {
  /** An ioredis client you own. The backend duplicates it for its subscription and closes only the duplicate. */
  client?: Redis;
  /** A Redis URL; the backend creates (and `close()` ends) its clients. */
  url?: string;
  /** Options for the clients created from `url`. */
  redisOptions?: RedisOptions;
  /** Prepended to the backend's keys and channel. @default 'switchyard:' */
  prefix?: string;
  /** Longest wait for one Redis command. @default 1000 */
  commandTimeoutMs?: number;
  /** Connection errors of clients the backend created (commands fail on their own). */
  on?: { connectionError?(state: { error: unknown }): void };
}

/** A {@link PolicyBackend} on Redis, from {@link redisPolicyBackend}. */
export interface RedisPolicyBackend extends PolicyBackend {
  /** Ends the subscription and the clients the backend created. */
  close(): Promise<void>;
}

const clientSchema = expected<Redis>('an ioredis client', (v) =>
  typeof v === 'object' && v !== null && ['get', 'eval', 'duplicate'].every((k) => typeof (v as Record<string, unknown>)[k] === 'function'),
);

const schema = v.object({
    client: clientSchema.optional(),
    url: expected<string>('a redis:// or rediss:// URL', (v) => typeof v === 'string' && /^rediss?:\/\//.test(v)).optional(),
    redisOptions: v.record(v.string(), v.unknown()).optional(),
    prefix: v.string().optional(),
    commandTimeoutMs: positiveNumber.optional(),
    on: v.object({ connectionError: fn().optional() }).optional(),
  });

// Compare-and-set: write the state only if the revision is still the one the writer read, and
// announce it on the channel in the same step so no subscriber sees a change before it is stored.
const WRITE = `
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
if current ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[3])
redis.call('PUBLISH', KEYS[3], ARGV[3])
return 1
`;

// Removes a replica's report, unless it reported again after the `seenAt` the caller judged stale.
const FORGET = `
local text = redis.call('HGET', KEYS[1], ARGV[1])
if not text then return 0 end
if ARGV[2] ~= '' then
  local ok, status = pcall(cjson.decode, text)
  if ok and type(status) == 'table' and tonumber(status.seenAt) and tonumber(status.seenAt) > tonumber(ARGV[2]) then return 0 end
end
return redis.call('HDEL', KEYS[1], ARGV[1])
`;

async function loadIoredis(): Promise<typeof import('ioredis')> {
  try {
    return await import('ioredis');
  } catch (cause) {
    throw new SwitchyardError('INVALID_CONFIG', 'Expected the `ioredis` package to be installed for `redisPolicyBackend({ url })`', { cause });
  }
}

/**
 * A {@link PolicyBackend} on Redis: every replica of a BFF reads the same versions and active
 * pointer, and learns of an activation within milliseconds by pub/sub.
 *
 * Writes are one Lua script (compare-and-set on a revision, then PUBLISH), so concurrent
 * activations never lose a version and no replica hears of a change before it is stored. Pub/sub
 * messages are lost while a replica is disconnected, so the policy store also reads on an
 * interval, and the subscription reads again whenever it reconnects. With Redis down, reads fail
 * and each replica keeps routing by the version it has. Replicas report what they applied to a
 * hash, which `replicas()` returns: the fleet view.
 *
 * @example
 * ```ts
 * import { createPolicyStore } from 'switchyard/routing';
 * import { redisPolicyBackend } from 'switchyard/redis';
 *
 * const policies = createPolicyStore({
 *   store: redisPolicyBackend({ url: 'redis://127.0.0.1:6379' }),
 *   replica: 'bff-1',
 *   syncIntervalMs: 5_000,
 * });
 * ```
 */
export function redisPolicyBackend(options: RedisPolicyBackendOptions): RedisPolicyBackend {
  const parsed = parseOptions(schema, options);
  if ((parsed.client === undefined) === (parsed.url === undefined)) {
    throw new SwitchyardError(
      'INVALID_CONFIG',
      `Expected exactly one of \`client\` and \`url\`, got ${parsed.client === undefined ? 'neither' : 'both'}`,
    );
  }
  const prefix = parsed.prefix ?? 'switchyard:';
  const commandTimeoutMs = parsed.commandTimeoutMs ?? 1_000;
  const keys = {
    state: `${prefix}policy:state`,
    revision: `${prefix}policy:revision`,
    replicas: `${prefix}policy:replicas`,
    channel: `${prefix}policy:changes`,
  };
  const onConnectionError = options.on?.connectionError;
  const report = (error: unknown) => callHook(onConnectionError, { error });

  async function createClient(): Promise<Redis> {
    const { Redis: Client } = await loadIoredis();
    const client = new Client(parsed.url!, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: commandTimeoutMs,
      connectTimeout: 2_000,
      ...((parsed.redisOptions ?? {}) as RedisOptions),
    });
    client.on('error', report);
    return client;
  }

  const owned = parsed.client === undefined;
  const clientReady: Promise<Redis> = owned ? createClient() : Promise.resolve(parsed.client!);
  clientReady.catch(() => {});
  let subscriber: Redis | undefined;
  const listeners = new Set<() => void>();
  let closed = false;

  function bounded<T>(command: (client: Redis) => Promise<T>, name: string): Promise<T> {
    if (closed) return Promise.reject(new SwitchyardError('UPSTREAM_ERROR', 'The Redis policy backend is closed'));
    return withTimeout(
      () =>
        clientReady.then(async (client) => {
          if (client.status !== 'ready' && owned) await readyOf(client);
          return command(client);
        }),
      {
        clock: systemClock,
        ms: commandTimeoutMs,
        onTimeout: () => new SwitchyardError('UPSTREAM_ERROR', `Redis ${name} did not answer within ${commandTimeoutMs} ms`),
      },
    );
  }

  function notify(): void {
    callEach(listeners, undefined);
  }

  async function subscribe(): Promise<void> {
    const base = await clientReady;
    if (closed) return;
    const sub = owned ? await createClient() : base.duplicate();
    if (!owned) sub.on('error', report);
    subscriber = sub;
    if (closed) return;
    // A duplicate of a lazyConnect client is lazy too.
    if (sub.status === 'wait') await sub.connect().catch(report);
    sub.on('message', (channel: string) => {
      if (channel === keys.channel) notify();
    });
    let first = true;
    // ioredis resubscribes after a reconnect; messages sent meanwhile are lost, so read again then.
    sub.on('ready', () => {
      if (!first) notify();
      first = false;
    });
    if (closed) return;
    if (sub.status !== 'ready') await nextReady(sub);
    if (closed) return;
    await sub.subscribe(keys.channel).catch(report);
    // Whatever changed before the subscription was in place was not announced to it.
    notify();
  }

  let subscribed: Promise<void> | undefined;
  let waiting: Promise<void> | undefined;

  /** The next 'ready' of a client the backend created (one listener however many commands wait). */
  function readyOf(client: Redis): Promise<void> {
    waiting ??= nextReady(client).finally(() => {
      waiting = undefined;
    });
    return waiting;
  }

  return {
    async read() {
      const text = await bounded((c) => c.get(keys.state), 'GET');
      if (text === null) return EMPTY_POLICY_STATE;
      try {
        return JSON.parse(text) as PolicyState;
      } catch (cause) {
        throw new SwitchyardError('UPSTREAM_ERROR', 'The policy state in Redis is not valid JSON', { cause });
      }
    },
    async write(revision, next) {
      const nextRevision = revision + 1;
      const state = JSON.stringify({ ...next, revision: nextRevision });
      const written = await bounded(
        (c) => c.eval(WRITE, 3, keys.state, keys.revision, keys.channel, String(revision), state, String(nextRevision)) as Promise<number>,
        'EVAL',
      );
      return written === 1;
    },
    watch(onChange) {
      listeners.add(onChange);
      subscribed ??= subscribe().catch(report);
      return () => listeners.delete(onChange);
    },
    async report(status: ReplicaStatus) {
      await bounded((c) => c.hset(keys.replicas, status.replica, JSON.stringify(status)), 'HSET');
    },
    async replicas() {
      const all = await bounded((c) => c.hgetall(keys.replicas), 'HGETALL');
      // An entry that is not a report (written by something else) is skipped, not a failure.
      return Object.values(all)
        .flatMap((text) => {
          try {
            const status = JSON.parse(text) as ReplicaStatus;
            return typeof status?.replica === 'string' && typeof status.seenAt === 'number' ? [status] : [];
          } catch {
            return [];
          }
        })
        .sort((a, b) => a.replica.localeCompare(b.replica));
    },
    async forget(replica, seenAt) {
      await bounded((c) => c.eval(FORGET, 1, keys.replicas, replica, seenAt === undefined ? '' : String(seenAt)) as Promise<number>, 'EVAL');
    },
    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      const ends: Promise<void>[] = [];
      if (subscriber !== undefined) ends.push(end(subscriber));
      await subscribed;
      if (subscriber !== undefined && ends.length === 0) ends.push(end(subscriber));
      if (owned) {
        const client = await clientReady.catch(() => undefined);
        if (client !== undefined) ends.push(end(client));
      }
      await Promise.all(ends);
    },
  };
}

/** Resolves on the client's next 'ready' (or its end). */
function nextReady(client: Redis): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      client.off('ready', done);
      client.off('end', done);
      resolve();
    };
    client.once('ready', done);
    client.once('end', done);
  });
}

async function end(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
  else client.disconnect();
  if ((client.status as string) !== 'end') await ended;
}
