import { createInflight, type Flight } from '../../_internal/inflight.js';
import { callHook } from '../../_internal/callHook.js';
import { LRUCache } from 'lru-cache';
import { systemClock, type Clock } from '../../_internal/clock.js';
import { clockSchema, expected, fn, parseOptions, positiveInteger, positiveNumber, timerMs, v } from '../../_internal/validate.js';
import { SwitchyardError, isSwitchyardError } from '../../errors/SwitchyardError.js';
import type { Balance } from './balance.js';
import { buildMatcher, readInput, type MatcherCore } from './createRouteMatcher.js';
import { normalizePath } from './normalizePath.js';
import type { MatchInput, MatchedTarget, RouteMatch, RouteTable } from './types.js';

/** Per-request inputs a `Request` cannot carry, as `createProxy` takes them. */
export interface RuntimeHandleInit {
  /**
   * Path and query as the client sent them (e.g. Node's `req.url`); matched and forwarded instead
   * of the `Request` URL, which a URL parser has already normalised.
   * @default the request URL's path and query
   */
  path?: string | undefined;
  /** The connecting peer's IP address, for `X-Forwarded-For` and proxy trust. */
  clientAddress?: string | undefined;
  /** Aborted when the client goes away. @default request.signal */
  signal?: AbortSignal | undefined;
}

/** Sends a matched request to its target: `proxyForward()` from `switchyard/http`, or your own. */
export type Forward = (request: Request, target: MatchedTarget, match: RouteMatch, init: RuntimeHandleInit) => Promise<Response>;

/** What `on.load` sees after a table was loaded and accepted. */
export interface TableLoadState {
  key: string;
  /** Number of routes in the accepted table. */
  routes: number;
  durationMs: number;
}

/** What `on.loadError` sees when a load failed or its table was rejected. */
export interface TableLoadErrorState {
  key: string;
  /** The loader's error, or an `INVALID_CONFIG` `SwitchyardError` naming the bad route and field. */
  error: unknown;
  /** True when the last good table for the key keeps serving. */
  kept: boolean;
}

/** Hooks of the runtime router; each takes one state object. */
export interface RuntimeRouterHooks {
  load?(state: TableLoadState): void;
  loadError?(state: TableLoadErrorState): void;
}

/** Options of `createRuntimeRouter`. */
export interface RuntimeRouterOptions {
  /**
   * Loads the route table of a key (a function id, a tenant) from anywhere: a database, a file, a
   * config service. `null` or `undefined` means the key has no routes. `signal` is aborted when
   * the load takes longer than `loadTimeoutMs`; pass it on to the database or `fetch` call.
   */
  load: (key: string, context: { signal: AbortSignal }) => Promise<RouteTable | null | undefined> | RouteTable | null | undefined;
  /**
   * How long a loaded table is used before it is loaded again. Once it has passed, the next lookup
   * is still answered from that table while the new one loads in the background.
   * @default 300_000
   */
  ttlMs?: number;
  /**
   * How long a load may take. At this point its signal is aborted and the load counts as failed,
   * even if the loader ignores the signal, so a hanging database cannot hang requests.
   * @default 10_000
   */
  loadTimeoutMs?: number;
  /**
   * After a key with no table fails to load, lookups of that key fail at once for this long
   * instead of loading again on every request; each further failure doubles the wait, up to
   * `maxLoadErrorBackoffMs`. A successful load, `invalidate(key)` or `clear()` ends it.
   * @default 1000
   */
  loadErrorBackoffMs?: number;
  /** The longest wait between loads of a key that keeps failing. @default 60_000 */
  maxLoadErrorBackoffMs?: number;
  /**
   * Most tables kept; the least recently used goes first. This is the only way a key that is in
   * use loses its last good table (besides `clear()`).
   * @default 1000
   */
  maxTables?: number;
  /** See `RouteMatcherOptions.isAvailable`. @default every target is available */
  isAvailable?: (targetId: string) => boolean;
  /** See `RouteMatcherOptions.balance`. @default 'smooth' */
  balance?: Balance;
  /** See `RouteMatcherOptions.random`. @default Math.random */
  random?: () => number;
  /** See `RouteMatcherOptions.compile`; each loaded table is compiled once. @default true */
  compile?: boolean;
  /**
   * Forwards a matched request; needed by `handle`, not by `match`. `proxyForward(options)` from
   * `switchyard/http` forwards through `createProxy`; this entry holds no proxy code itself.
   * @default none: `handle` rejects with `INVALID_CONFIG`
   */
  forward?: Forward;
  /**
   * What `handle` does with a path `normalizePath` refuses (`//`, dot segments, encoded `/`):
   * `'reject'` answers 400, `'pass'` returns null so the app's own handler decides.
   * @default 'reject'
   */
  invalidPath?: 'reject' | 'pass';
  /** Hooks for logs and metrics. */
  on?: RuntimeRouterHooks;
  /** Time source for table TTLs and load timeouts. @default systemClock */
  clock?: Clock;
}

/** A key whose load failed with no table to fall back on: lookups fail at once until `until`. */
interface Failure {
  until: number;
  /** The wait that ended at `until`; the next failure doubles it. */
  waitMs: number;
  code: 'INVALID_CONFIG' | 'UPSTREAM_ERROR';
  message: string;
  cause: unknown;
}

/** Counters of the table cache since creation (or the last `clear()` for `size`). */
export interface RuntimeRouterStats {
  /** Lookups answered by a fresh cached table. */
  hits: number;
  /** Lookups answered at once by a stale (TTL passed or invalidated) table while it reloads. */
  stale: number;
  /** Lookups that had no table and waited for a load. */
  misses: number;
  /** Calls made to `load`. */
  loads: number;
  /** Loads that failed, timed out or returned a rejected table. */
  errors: number;
  /** Lookups of a key with no table refused at once because its last load failed recently (backoff). */
  backedOff: number;
  /** Tables held now, stale ones included. */
  size: number;
  ttlMs: number;
}

/** Routes requests by per-key route tables loaded on demand and cached with a TTL. */
export interface RuntimeRouter {
  /**
   * The match for a request under `key`'s table, or null. Rejects when `key` has no table and none
   * can be loaded.
   */
  match(key: string, input: MatchInput): Promise<RouteMatch | null>;
  /**
   * Forwards a request that matches `key`'s table and resolves with the upstream's response; null
   * when nothing matches, so the app runs its own handler. A route whose targets are all
   * unavailable answers 503. Rejects only when `key` has no loadable table.
   */
  handle(key: string, request: Request, init?: RuntimeHandleInit): Promise<Response | null>;
  /**
   * Marks `key`'s table stale: the next lookup starts a new load, and is answered from the current
   * table while that load runs (stale-while-revalidate). The current table keeps serving if the
   * new one fails or is rejected. A key without a table waits for its load as usual.
   */
  invalidate(key: string): void;
  /** Drops every table and every load in flight. */
  clear(): void;
  /**
   * Drops the tables of idle keys: those whose TTL has passed and that have not been used for
   * longer than `ttlMs`; returns how many. A key in use keeps its last good table, stale or not,
   * so a failing loader always has it to fall back on.
   */
  cleanup(): number;
  stats(): RuntimeRouterStats;
}

interface Table {
  matcher: MatcherCore;
}

/** The last good table of a key; expiry is tracked here, not by lru-cache (see below). */
interface Entry {
  table: Table;
  /** Clock time after which the table is stale. */
  staleAt: number;
  /** Clock time of the last lookup. */
  usedAt: number;
  invalidated: boolean;
}

const SUPERSEDED = new DOMException('The route table was invalidated during its load', 'AbortError');

const optionsSchema = v.strictObject({
  load: fn<RuntimeRouterOptions['load']>(),
  ttlMs: positiveNumber.optional(),
  loadTimeoutMs: timerMs.optional(),
  loadErrorBackoffMs: timerMs.optional(),
  maxLoadErrorBackoffMs: timerMs.optional(),
  maxTables: positiveInteger.optional(),
  isAvailable: fn<(id: string) => boolean>().optional(),
  balance: expected<Balance>("'smooth' or 'random'", (v) => v === 'smooth' || v === 'random').optional(),
  random: fn<() => number>().optional(),
  compile: v.boolean().optional(),
  forward: fn<Forward>().optional(),
  invalidPath: expected<'reject' | 'pass'>("'reject' or 'pass'", (v) => v === 'reject' || v === 'pass').optional(),
  on: v.strictObject({ load: fn<RuntimeRouterHooks['load']>().optional(), loadError: fn<RuntimeRouterHooks['loadError']>().optional() }).optional(),
  clock: clockSchema.optional(),
});

function jsonResponse(status: number, body: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/** A fresh error for each caller refused by a failed load (callers may attach to or mutate it). */
function failedLoad(failure: Failure): SwitchyardError {
  return new SwitchyardError(failure.code, failure.message, { cause: failure.cause });
}

function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}


/**
 * Creates the runtime router of the seed: per-key route tables (per function, per tenant) loaded
 * by any async loader, validated, and cached on lru-cache with a TTL; requests that match a route
 * are handed to `forward` (`proxyForward()` from `switchyard/http` streams them through
 * `createProxy`), others return null so the app runs its own handler.
 *
 * Only a key with no table waits for its load; concurrent lookups of it share that load. A stale
 * table (TTL passed or `invalidate`d) answers at once while one load per key runs in the
 * background. A load that fails, times out (`loadTimeoutMs`) or returns a table that fails
 * validation is reported through `on.loadError` with an error naming the bad route, and the last
 * good table for that key keeps serving for another TTL. A key with no table to fall back on is
 * backed off: its lookups fail at once for `loadErrorBackoffMs`, doubling per failure up to
 * `maxLoadErrorBackoffMs`, so a failing loader is not called on every request. That table is kept until a newer good one
 * replaces it, `clear()`, LRU eviction beyond `maxTables`, or `cleanup()` once the key is idle.
 *
 * @example
 * const router = createRuntimeRouter({ load: (fnId) => db.routesOf(fnId), ttlMs: 60_000, forward: proxyForward() });
 * const response = await router.handle(fnId, request, { path: req.url, clientAddress: req.socket.remoteAddress });
 * return response ?? runFunction(fnId, request);
 */
export function createRuntimeRouter(options: RuntimeRouterOptions): RuntimeRouter {
  parseOptions(optionsSchema, options, 'options');
  const ttlMs = options.ttlMs ?? 300_000;
  const loadTimeoutMs = options.loadTimeoutMs ?? 10_000;
  const maxTables = options.maxTables ?? 1000;
  const backoffMs = options.loadErrorBackoffMs ?? 1000;
  const maxBackoffMs = options.maxLoadErrorBackoffMs ?? Math.max(backoffMs, 60_000);
  if (maxBackoffMs < backoffMs) {
    throw new SwitchyardError(
      'INVALID_CONFIG',
      `Expected \`options.maxLoadErrorBackoffMs\` to be a number >= loadErrorBackoffMs (${backoffMs}), got ${maxBackoffMs}`,
    );
  }
  const clock = options.clock ?? systemClock;
  const invalidPath = options.invalidPath ?? 'reject';
  const matcherOptions = {
    ...(options.isAvailable === undefined ? {} : { isAvailable: options.isAvailable }),
    ...(options.balance === undefined ? {} : { balance: options.balance }),
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.compile === undefined ? {} : { compile: options.compile }),
  };

  // lru-cache only bounds the number of tables. Staleness is tracked on each entry: lru-cache's
  // own TTL would drop the last good table (on purgeStale, or on a read of a stale entry) and reads
  // a start time of 0 from the clock as "no start", so tables loaded at clock 0 never went stale.
  const cache = new LRUCache<string, Entry>({ max: maxTables });
  const counters = { hits: 0, stale: 0, misses: 0, loads: 0, errors: 0, backedOff: 0 };
  // A failing loader (a database down) must not be called on every request for a key: the key is
  // backed off, from `backoffMs` doubling to `maxBackoffMs`. Bounded like the tables.
  const failures = new LRUCache<string, Failure>({ max: maxTables });

  /** Loads, validates and caches `key`'s table. A replaced load reports nothing: its callers follow the new one. */
  const load = (key: string) => async (flight: Flight): Promise<Table> => {
    counters.loads += 1;
    const started = clock.now();
    const raw = await options.load(key, { signal: flight.signal });
    const matcher = buildMatcher(raw ?? [], matcherOptions);
    const table: Table = { matcher };
    if (!flight.current) return table;
    const now = clock.now();
    failures.delete(key);
    cache.set(key, { table, staleAt: now + ttlMs, usedAt: cache.peek(key)?.usedAt ?? now, invalidated: false });
    callHook(options.on?.load, { key, routes: matcher.routes.length, durationMs: clock.now() - started });
    return table;
  };

  /** A failed, timed-out or rejected load: keep serving the last good table, or back the key off. */
  const recover = (key: string, error: unknown, flight: Flight): Table => {
    if (!flight.current) throw error;
    counters.errors += 1;
    const last = cache.peek(key);
    if (last !== undefined) {
      // Serve the last good table for another TTL instead of loading on every request meanwhile.
      last.staleAt = clock.now() + ttlMs;
      last.invalidated = false;
    }
    callHook(options.on?.loadError, { key, error, kept: last !== undefined });
    if (last !== undefined) return last.table;
    const rejected = isSwitchyardError(error) && error.code === 'INVALID_CONFIG';
    const previous = failures.get(key);
    const waitMs = previous === undefined ? backoffMs : Math.min(previous.waitMs * 2, maxBackoffMs);
    const failure: Failure = {
      until: clock.now() + waitMs,
      waitMs,
      code: rejected ? 'INVALID_CONFIG' : 'UPSTREAM_ERROR',
      message: rejected ? `Route table for \`${key}\` was rejected: ${error.message}` : `Route table for \`${key}\` could not be loaded`,
      cause: error,
    };
    failures.set(key, failure);
    throw failedLoad(failure);
  };

  // One load per key; it fails at `loadTimeoutMs` even if the loader ignores its signal.
  const inflight = createInflight<string, Table>({
    clock,
    timeoutMs: loadTimeoutMs,
    timeoutError: (key) => new SwitchyardError('DEADLINE_EXCEEDED', `Route table for \`${key}\` did not load within ${loadTimeoutMs} ms`),
    recover,
  });

  const tableFor = (key: string): Promise<Table> => {
    const now = clock.now();
    const entry = cache.get(key);
    if (entry === undefined) {
      if (!inflight.has(key)) {
        const failure = failures.get(key);
        if (failure !== undefined && now < failure.until) {
          counters.backedOff += 1;
          return Promise.reject(failedLoad(failure));
        }
      }
      counters.misses += 1;
      return inflight.run(key, load(key));
    }
    entry.usedAt = now;
    if (!entry.invalidated && now <= entry.staleAt) {
      counters.hits += 1;
    } else {
      counters.stale += 1;
      inflight.refresh(key, load(key));
    }
    return Promise.resolve(entry.table);
  };

  return {
    async match(key, input) {
      const table = await tableFor(key);
      const { method, raw, headers } = readInput(input);
      const normalized = normalizePath(raw);
      return normalized.ok ? table.matcher.lookup(method, normalized.path, normalized.search, headers) : null;
    },

    async handle(key, request, init = {}) {
      const normalized = normalizePath(init.path ?? pathOf(request.url));
      if (!normalized.ok) return invalidPath === 'reject' ? jsonResponse(400, { error: 'Bad request' }) : null;
      const table = await tableFor(key);
      const match = table.matcher.lookup(request.method, normalized.path, normalized.search, request.headers);
      if (match === null) return null;
      if (match.target === null) return jsonResponse(503, { error: 'No upstream available', target: match.route.name });
      if (options.forward === undefined) {
        throw new SwitchyardError(
          'INVALID_CONFIG',
          'Expected `forward` to be set to call handle(): pass `forward: proxyForward()` from switchyard/http, or your own',
        );
      }
      return options.forward(request, match.target, match, init);
    },

    invalidate(key) {
      failures.delete(key);
      const entry = cache.peek(key);
      if (entry !== undefined) entry.invalidated = true;
      // A load already running may return what the change replaced: abort it and hand its callers
      // over to a fresh load, so one key never has more than one load running.
      inflight.replace(key, load(key), SUPERSEDED);
    },

    clear() {
      inflight.clear(new SwitchyardError('ABORTED', 'The route table cache was cleared'));
      cache.clear();
      failures.clear();
    },

    cleanup() {
      const now = clock.now();
      let dropped = 0;
      for (const [key, entry] of [...cache.entries()]) {
        if (now > entry.staleAt && now - entry.usedAt > ttlMs) {
          cache.delete(key);
          dropped += 1;
        }
      }
      return dropped;
    },

    stats() {
      return { ...counters, size: cache.size, ttlMs };
    },
  };
}
