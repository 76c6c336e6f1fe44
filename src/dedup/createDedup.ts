import { withTimeout } from '../_internal/withTimeout.js';
import { createInflight, type Flight } from '../_internal/inflight.js';
import { callHook } from '../_internal/callHook.js';
import { systemClock } from '../_internal/clock.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import { isMemoryStore, memoryStore } from '../stores/memoryStore.js';
import { canonicalKey } from './canonicalKey.js';
import { copierOf, decodeEntry, encodeEntry } from './_entry.js';
import { GENERATION_TTL_MS, NO_GENERATIONS, generationKey, generationKeysOf, generationTuple, newGeneration } from './_generations.js';
import type { DedupHooks } from './hooks.js';
import { namespacePrefix, operationPrefix, paramsPrefix, principalPart, storeKey } from './_keys.js';
import { DEDUP_DEFAULTS, parseDedupOptions, type DedupOptions } from './options.js';

/** One call through `dedup.run`. */
export interface DedupInput {
  /** The operation name; part of the key. */
  operation: string;
  /** Who the call acts for (from the fanout's `principal(context)`). `undefined` or '' never shares unless `shared`. */
  principal: string | undefined;
  /** The call's input, keyed by `canonicalKey`. */
  data: unknown;
  /** Allow sharing and caching with no principal: only for data that is the same for everyone. @default false */
  shared?: boolean;
  /** Replaces the data part of the key (e.g. pick the fields that matter); the principal part always stays. */
  key?: (data: unknown) => unknown;
  /** This operation's cache TTL, overriding `createDedup({ ttlMs })`. */
  ttlMs?: number;
  /** This caller's signal: aborting it rejects this caller only, with `SwitchyardError('ABORTED')`. */
  signal?: AbortSignal;
  /**
   * Gives a caller that joined this execution its own copy of the result; throw when it cannot,
   * and that caller runs afresh. Use it for results that are not plain JSON data but whose
   * mutable parts can be copied. @default a JSON copy of plain data (what a cache hit returns)
   */
  copy?: (value: unknown) => unknown;
}

/** What `dedup.invalidate` drops: everything, one operation, one call's data for every principal, or one key. */
export interface InvalidateTarget {
  operation?: string;
  /** Needs `operation`. When the runs used `key`, pass `key(data)`. */
  data?: unknown;
  /** Needs `operation` and `data`. */
  principal?: string;
}

/** Shares identical concurrent calls and caches their results. Built by {@link createDedup}. */
export interface Dedup {
  /**
   * Runs `execute` once for every identical call in flight (same operation, principal and data),
   * or answers from the result cache. `execute`'s signal aborts only when every caller has left.
   */
  run<R>(input: DedupInput, execute: (signal: AbortSignal) => Promise<R>): Promise<R>;
  /**
   * Drops cached results (by key, by data, by operation, or all) and detaches matching calls in
   * flight so later callers start afresh and the old results are not cached. Rejects with
   * `UPSTREAM_ERROR` when the store fails, because a silent failure would leave stale data.
   */
  invalidate(target?: InvalidateTarget): Promise<void>;
}

type Result = { ok: true; value: unknown } | { ok: false; error: unknown };
type StoreResult<T> = { ok: true; value: T } | { ok: false };

/** What identifies the calls one execution serves (empty parts for a call that is not shared). */
interface Job {
  readonly mapKey: string;
  readonly operation: string;
  readonly params: string;
  readonly principal: string;
}

/** Handed to a caller whose copy of a shared result could not be made: it runs afresh. */
const NOT_COPYABLE: unique symbol = Symbol('not-copyable');

interface CacheTarget {
  key: string;
  ttlMs: number;
  /** On a shared store: the generation keys read with the entry (see `_generations.ts`). */
  generationKeys: readonly string[] | undefined;
}

/** The generation tokens a call read before it executed, and when it started reading them. */
interface GenerationSnapshot {
  tuple: string;
  readAt: number;
}

interface CacheRead {
  text: string | undefined;
  generations: GenerationSnapshot | undefined;
}

const SKIPPED: StoreResult<never> = { ok: false };
const STORE_KEY_MEMO = 1_000;

function invalidInput(message: string): SwitchyardError {
  return new SwitchyardError('INVALID_INPUT', message);
}

function checkInput(input: DedupInput, execute: unknown): void {
  if (typeof input !== 'object' || input === null) throw invalidInput('Expected the dedup input to be an object');
  if (typeof input.operation !== 'string' || input.operation === '') {
    throw invalidInput('Expected `operation` to be a non-empty string');
  }
  if (input.principal !== undefined && typeof input.principal !== 'string') {
    throw invalidInput('Expected `principal` to be a string or undefined');
  }
  if (input.ttlMs !== undefined && !(typeof input.ttlMs === 'number' && Number.isFinite(input.ttlMs) && input.ttlMs >= 0)) {
    throw invalidInput('Expected `ttlMs` to be a finite number >= 0');
  }
  if (input.key !== undefined && typeof input.key !== 'function') throw invalidInput('Expected `key` to be a function');
  if (input.copy !== undefined && typeof input.copy !== 'function') throw invalidInput('Expected `copy` to be a function');
  if (typeof execute !== 'function') throw invalidInput('Expected `execute` to be a function');
}

function aborted(reason: unknown): SwitchyardError {
  return new SwitchyardError('ABORTED', 'The call was aborted', { cause: reason });
}

/**
 * The key of a shared execution. Lengths first: operations and principals may hold any character,
 * so plain separators would let ('a\0p:b', 'c') and ('a', 'b\0p:c') share a key, and a result.
 */
function mapKeyOf(operation: string, owner: string, params: string): string {
  return `${operation.length}:${owner.length}:${operation}${owner}${params}`;
}

/** The parts of a key made by {@link mapKeyOf}. */
function jobOf(mapKey: string): Job {
  const first = mapKey.indexOf(':');
  const second = mapKey.indexOf(':', first + 1);
  const operationEnd = second + 1 + Number(mapKey.slice(0, first));
  const ownerEnd = operationEnd + Number(mapKey.slice(first + 1, second));
  return {
    mapKey,
    operation: mapKey.slice(second + 1, operationEnd),
    principal: mapKey.slice(operationEnd, ownerEnd),
    params: mapKey.slice(ownerEnd),
  };
}

function attempt(execute: (signal: AbortSignal) => Promise<unknown>, signal: AbortSignal): Promise<Result> {
  let pending: Promise<unknown>;
  try {
    pending = Promise.resolve(execute(signal));
  } catch (error) {
    return Promise.resolve({ ok: false, error });
  }
  return pending.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

/**
 * Creates in-flight sharing (singleflight) with an optional TTL result cache, keyed by operation,
 * principal and canonical data.
 *
 * Fails closed: a call with no principal runs on its own unless it says `shared: true`, so one
 * user's result never reaches another. The store never fails a call: a slow or failing store is
 * waited on for at most `storeTimeoutMs`, reported to `on.storeError`, skipped for
 * `storeRetryMs`, then tried again. In-flight sharing is per process; replicas share results
 * through the store (see docs/decisions/0003-per-replica-singleflight.md).
 *
 * @example
 * const dedup = createDedup({ store: redisStore({ url }), ttlMs: 30_000 });
 * const user = await dedup.run(
 *   { operation: 'getUser', principal: session.userId, data: { id }, signal },
 *   (signal) => fetchUser(id, signal),
 * );
 */
export function createDedup(options: DedupOptions = {}): Dedup {
  const parsed = parseDedupOptions(options);
  const clock = parsed.clock ?? systemClock;
  const store =
    parsed.store ??
    memoryStore({
      maxEntries: parsed.maxEntries ?? DEDUP_DEFAULTS.maxEntries,
      maxSizeBytes: parsed.maxSizeBytes ?? DEDUP_DEFAULTS.maxSizeBytes,
      clock,
    });
  const ttlDefault = parsed.ttlMs ?? DEDUP_DEFAULTS.ttlMs;
  const swrMs = parsed.staleWhileRevalidateMs ?? DEDUP_DEFAULTS.staleWhileRevalidateMs;
  const maxValueBytes = parsed.maxValueBytes ?? DEDUP_DEFAULTS.maxValueBytes;
  const storeTimeoutMs = parsed.storeTimeoutMs ?? DEDUP_DEFAULTS.storeTimeoutMs;
  const storeRetryMs = parsed.storeRetryMs ?? DEDUP_DEFAULTS.storeRetryMs;
  const namespace = parsed.namespace ?? DEDUP_DEFAULTS.namespace;
  const hooks: DedupHooks = parsed.on ?? {};
  // The memory store answers in microtasks: no timer is needed to bound it.
  const unbounded = isMemoryStore(store);
  // A shared store needs generations so that another replica's invalidation cannot be undone by a
  // late write; in one process, invalidation detaches the calls in flight instead.
  const generations = !unbounded;
  // Hashing is the main cost of a cache hit; hot keys repeat, so remember their store keys.
  const storeKeys = new Map<string, string>();

  // Calls share one execution per key; a stale hit refreshes its key once, in the background.
  const flights = createInflight<string, unknown>({ abortError: aborted });
  const refreshing = createInflight<string, unknown>();
  let storeUnavailableUntil = 0;

  function emit<K extends keyof DedupHooks>(name: K, state: Parameters<NonNullable<DedupHooks[K]>>[0]): void {
    callHook(hooks[name] as ((s: typeof state) => void) | undefined, state);
  }

  /** Runs one store call, bounded by `storeTimeoutMs`; failures are reported and never thrown. */
  function guarded<T>(operation: string, phase: 'get' | 'set', call: () => Promise<T>): Promise<StoreResult<T>> {
    if (storeUnavailableUntil !== 0 && clock.now() < storeUnavailableUntil) return Promise.resolve(SKIPPED);
    if (unbounded) {
      return call().then(
        (value) => ({ ok: true, value }),
        (error: unknown) => {
          emit('storeError', { operation, phase, timedOut: false, error });
          return SKIPPED;
        },
      );
    }
    let timedOut = false;
    const fail = (error: unknown) => {
      storeUnavailableUntil = clock.now() + storeRetryMs;
      emit('storeError', { operation, phase, timedOut, error });
    };
    return withTimeout(call, {
      clock,
      ms: storeTimeoutMs,
      onTimeout: () => {
        // Marked at the moment it happens, not a tick later.
        timedOut = true;
        const error = new SwitchyardError('UPSTREAM_ERROR', `The store did not answer within ${storeTimeoutMs} ms`);
        fail(error);
        return error;
      },
    }).then(
      (value): StoreResult<T> => {
        storeUnavailableUntil = 0;
        return { ok: true, value };
      },
      (error: unknown) => {
        if (!timedOut) fail(error);
        return SKIPPED;
      },
    );
  }

  async function readCache(cache: CacheTarget): Promise<CacheRead> {
    if (cache.generationKeys === undefined) return { text: await store.get(cache.key), generations: undefined };
    const readAt = clock.now();
    const [text, ...tokens] = await Promise.all([cache.key, ...cache.generationKeys].map((key) => store.get(key)));
    return { text, generations: { tuple: generationTuple(tokens), readAt } };
  }

  function write(job: Job, flight: Flight, cache: CacheTarget, value: unknown, read: GenerationSnapshot | undefined): void {
    // Invalidated (or left by every caller) while running: answer its callers, cache nothing.
    if (!flight.current) return;
    let storeTtlMs = cache.ttlMs + swrMs;
    if (cache.generationKeys !== undefined) {
      // Unknown generations (the read failed): a write could not be told apart from a late one.
      if (read === undefined) return;
      storeTtlMs = Math.min(storeTtlMs, GENERATION_TTL_MS - (clock.now() - read.readAt));
      if (storeTtlMs <= 0) return;
    }
    const encoded = encodeEntry(value, clock.now() + cache.ttlMs, maxValueBytes, read?.tuple);
    if (!encoded.ok) {
      emit('notCached', encoded.bytes === undefined
        ? { operation: job.operation, reason: encoded.reason }
        : { operation: job.operation, reason: encoded.reason, bytes: encoded.bytes });
      return;
    }
    void guarded(job.operation, 'set', () => store.set(cache.key, encoded.text, { ttlMs: storeTtlMs }));
  }

  function refresh(
    job: Job,
    flight: Flight,
    execute: (signal: AbortSignal) => Promise<unknown>,
    cache: CacheTarget,
    read: GenerationSnapshot | undefined,
  ): void {
    if (!flight.current) return;
    refreshing.refresh(job.mapKey, async (background) => {
      const result = await attempt(execute, background.signal);
      if (result.ok) write(job, background, cache, result.value, read);
      else emit('refreshError', { operation: job.operation, error: result.error });
    });
  }

  async function work(
    job: Job,
    flight: Flight,
    execute: (signal: AbortSignal) => Promise<unknown>,
    cache: CacheTarget | undefined,
  ): Promise<unknown> {
    let cacheChecked = false;
    let read: GenerationSnapshot | undefined;
    if (cache) {
      const got = await guarded(job.operation, 'get', () => readCache(cache));
      if (got.ok) {
        cacheChecked = true;
        read = got.value.generations;
        if (got.value.text !== undefined) {
          const entry = decodeEntry(got.value.text);
          if (!entry.ok) {
            emit('storeError', {
              operation: job.operation,
              phase: 'decode',
              timedOut: false,
              error: new SwitchyardError('UPSTREAM_ERROR', 'A cache entry could not be read; it is ignored'),
            });
          } else if (read === undefined || (entry.generations ?? NO_GENERATIONS) === read.tuple) {
            const now = clock.now();
            if (now < entry.freshUntil) {
              emit('hit', { operation: job.operation, stale: false });
              return entry.value;
            }
            if (now < entry.freshUntil + swrMs) {
              emit('hit', { operation: job.operation, stale: true });
              refresh(job, flight, execute, cache, read);
              return entry.value;
            }
          }
        }
      }
      // Every caller left while the store answered: nobody needs the execution.
      if (flight.aborted) throw aborted(undefined);
    }
    emit('miss', { operation: job.operation, cacheChecked });
    const result = await attempt(execute, flight.signal);
    if (!result.ok) throw result.error;
    // Started before the callers are answered, so a caller that comes right after finds the entry.
    if (cache) write(job, flight, cache, result.value, read);
    return result.value;
  }

  /**
   * How one execution answers its callers. No two callers share one mutable object: the first gets
   * the result, each other one its own copy (what a cache hit gets); a result that cannot be copied
   * (not plain JSON data) is not shared at all: those callers run afresh.
   */
  function sharer(own: ((value: unknown) => unknown) | undefined): (value: unknown, index: number) => unknown {
    let copy: (() => unknown) | undefined;
    let copyable = true;
    return (value, index) => {
      if (index === 0) return value;
      if (copyable && copy === undefined) {
        copy = own === undefined ? copierOf(value) : () => own(value);
        copyable = copy !== undefined;
      }
      if (copy !== undefined) {
        try {
          return copy();
        } catch {
          copy = undefined;
          copyable = false;
        }
      }
      return NOT_COPYABLE;
    };
  }

  /** Runs `execute` for one caller alone, uncached. */
  function solo<R>(operation: string, execute: (signal: AbortSignal) => Promise<R>, signal: AbortSignal | undefined): Promise<R> {
    const job: Job = { mapKey: '', operation, params: '', principal: '' };
    return flights.solo((flight) => work(job, flight, execute, undefined), { signal }) as Promise<R>;
  }

  function storeKeyOf(job: Job): string {
    let key = storeKeys.get(job.mapKey);
    if (key === undefined) {
      if (storeKeys.size >= STORE_KEY_MEMO) storeKeys.clear();
      key = storeKey(namespace, job.operation, job.params, job.principal);
      storeKeys.set(job.mapKey, key);
    }
    return key;
  }

  function run<R>(input: DedupInput, execute: (signal: AbortSignal) => Promise<R>): Promise<R> {
    try {
      checkInput(input, execute);
      const { operation, signal } = input;
      if (signal?.aborted) return Promise.reject(aborted(signal.reason));
      const principal = input.principal === '' ? undefined : input.principal;
      if (principal === undefined && input.shared !== true) {
        emit('bypass', { operation, reason: 'no-principal' });
        return solo(operation, execute, signal);
      }
      const params = canonicalKey(input.key ? input.key(input.data) : input.data);
      const owner = principalPart(principal);
      const mapKey = mapKeyOf(operation, owner, params);
      if (flights.has(mapKey)) {
        // Joins the running execution (the load below only runs if there were none).
        const answer = flights.run(mapKey, (flight) => work(jobOf(mapKey), flight, execute, undefined), { signal }).then((value) => {
          if (value !== NOT_COPYABLE) return value as R;
          emit('bypass', { operation, reason: 'not-copyable' });
          return solo(operation, execute, signal);
        });
        emit('join', { operation, waiters: flights.waiters(mapKey) });
        return answer;
      }
      const job: Job = { mapKey, operation, params, principal: owner };
      const ttlMs = input.ttlMs ?? ttlDefault;
      let cache: CacheTarget | undefined;
      if (ttlMs > 0) {
        const key = storeKeyOf(job);
        cache = { key, ttlMs, generationKeys: generations ? generationKeysOf(namespace, key) : undefined };
      }
      // The first caller is answered first (index 0 of `sharer`), so it never has to run afresh.
      return flights.run(mapKey, (flight) => work(job, flight, execute, cache), { signal, share: sharer(input.copy) }) as Promise<R>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async function invalidate(target: InvalidateTarget = {}): Promise<void> {
    if (typeof target !== 'object' || target === null) throw invalidInput('Expected the invalidate target to be an object');
    for (const field of Object.keys(target)) {
      if (field !== 'operation' && field !== 'data' && field !== 'principal') {
        throw invalidInput(`Expected the invalidate target to have only \`operation\`, \`data\` and \`principal\`, got \`${field}\``);
      }
    }
    const { operation } = target;
    const hasData = 'data' in target;
    const principal = target.principal === '' ? undefined : target.principal;
    if (operation !== undefined && (typeof operation !== 'string' || operation === '')) {
      throw invalidInput('Expected `operation` to be a non-empty string');
    }
    if (operation === undefined && (hasData || principal !== undefined)) {
      throw invalidInput('Expected `operation` with `data` or `principal`: invalidate by key, by data, by operation, or all');
    }
    if (principal !== undefined && !hasData) {
      throw invalidInput('Expected `data` with `principal`: invalidate by key, by data, by operation, or all');
    }
    const params = hasData ? canonicalKey(target.data) : undefined;
    const owner = principal === undefined ? undefined : principalPart(principal);

    for (const inflight of [flights, refreshing]) {
      for (const mapKey of inflight.keys()) {
        const job = jobOf(mapKey);
        if (operation !== undefined && job.operation !== operation) continue;
        if (params !== undefined && job.params !== params) continue;
        if (owner !== undefined && job.principal !== owner) continue;
        // Its callers still get its result, but it is not cached and later callers start afresh.
        inflight.detach(mapKey);
      }
    }

    const scope =
      operation === undefined
        ? namespacePrefix(namespace)
        : params === undefined
          ? operationPrefix(namespace, operation)
          : owner === undefined
            ? paramsPrefix(namespace, operation, params)
            : storeKey(namespace, operation, params, owner);
    try {
      // The new generation first: from then on no replica serves an entry of this scope written
      // under the old one, even one that a call in flight elsewhere writes after the delete.
      if (generations) await store.set(generationKey(namespace, scope), newGeneration(), { ttlMs: GENERATION_TTL_MS });
      if (owner === undefined) await store.deletePrefix(scope);
      else await store.delete(scope);
    } catch (error) {
      emit('storeError', { operation, phase: 'invalidate', timedOut: false, error });
      throw new SwitchyardError('UPSTREAM_ERROR', 'Cache invalidation failed: the store did not answer', { cause: error });
    }
  }

  return { run, invalidate };
}
