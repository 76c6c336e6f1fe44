import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { systemClock, type Clock } from '../../_internal/clock.js';
import { clockSchema, expected, fn, parseOptions, positiveInteger, positiveNumber } from '../../_internal/validate.js';
import { SwitchyardError, isSwitchyardError } from '../../errors/SwitchyardError.js';
import { createProxy, type Proxy, type ProxyOptions } from '../../http/index.js';
import type { Balance } from './balance.js';
import { buildMatcher, readInput, type MatcherCore } from './createRouteMatcher.js';
import { normalizePath } from './normalizePath.js';
import type { MatchInput, MatchedTarget, RouteMatch, RouteTable } from './types.js';

/** Options passed to `createProxy` for every target (the target and its label come from the route). */
export type RuntimeProxyOptions = Omit<ProxyOptions, 'target' | 'name' | 'clock'>;

/** Per-request inputs a `Request` cannot carry, as `createProxy` takes them. */
export interface RuntimeHandleInit {
  /**
   * Path and query as the client sent them (e.g. Node's `req.url`); matched and forwarded instead
   * of the `Request` URL, which a URL parser has already normalised.
   * @default the request URL's path and query
   */
  path?: string;
  /** The connecting peer's IP address, for `X-Forwarded-For` and proxy trust. */
  clientAddress?: string;
  /** Aborted when the client goes away. @default request.signal */
  signal?: AbortSignal;
}

/** Sends a matched request to its target; replaces the built-in `createProxy` forwarding. */
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
   * config service. `null` or `undefined` means the key has no routes.
   */
  load: (key: string) => Promise<RouteTable | null | undefined> | RouteTable | null | undefined;
  /** How long a loaded table is used before it is loaded again. @default 300_000 */
  ttlMs?: number;
  /** Most tables kept; the least recently used goes first. @default 1000 */
  maxTables?: number;
  /** See `RouteMatcherOptions.isAvailable`. @default every target is available */
  isAvailable?: (targetId: string) => boolean;
  /** See `RouteMatcherOptions.balance`. @default 'smooth' */
  balance?: Balance;
  /** See `RouteMatcherOptions.random`. @default Math.random */
  random?: () => number;
  /** Options for the built-in forwarding through `createProxy` (timeout, trusted proxies, …). @default {} */
  proxy?: RuntimeProxyOptions;
  /** Forwards a matched request; replaces `createProxy`. @default a cached `createProxy` per target origin and route */
  forward?: Forward;
  /**
   * What `handle` does with a path `normalizePath` refuses (`//`, dot segments, encoded `/`):
   * `'reject'` answers 400, `'pass'` returns null so the app's own handler decides.
   * @default 'reject'
   */
  invalidPath?: 'reject' | 'pass';
  /** Hooks for logs and metrics. */
  on?: RuntimeRouterHooks;
  /** Time source for table TTLs and proxy timeouts. @default systemClock */
  clock?: Clock;
}

/** Counters of the table cache since creation (or the last `clear()` for `size`). */
export interface RuntimeRouterStats {
  /** Lookups answered by a fresh cached table. */
  hits: number;
  /** Lookups that had to load a table or wait for a load in flight. */
  misses: number;
  /** Calls made to `load`. */
  loads: number;
  /** Loads that failed or returned a rejected table. */
  errors: number;
  /** Tables held now, stale ones included. */
  size: number;
  ttlMs: number;
}

/** Routes requests by per-key route tables loaded on demand and cached with a TTL. */
export interface RuntimeRouter {
  /** The match for a request under `key`'s table, or null. Rejects when no table can be loaded. */
  match(key: string, input: MatchInput): Promise<RouteMatch | null>;
  /**
   * Forwards a request that matches `key`'s table and resolves with the upstream's response; null
   * when nothing matches, so the app runs its own handler. A route whose targets are all
   * unavailable answers 503. Rejects only when `key` has no loadable table.
   */
  handle(key: string, request: Request, init?: RuntimeHandleInit): Promise<Response | null>;
  /** Loads `key` again on next use; its current table keeps serving if the new one is rejected. */
  invalidate(key: string): void;
  /** Drops every table and every load in flight. */
  clear(): void;
  /** Drops tables whose TTL has passed; returns how many. */
  cleanup(): number;
  stats(): RuntimeRouterStats;
}

interface Table {
  matcher: MatcherCore;
  proxies: Map<string, Proxy>;
  invalidated: boolean;
}

interface Flight {
  promise: Promise<Table>;
}

const optionsSchema = z.strictObject({
  load: fn<RuntimeRouterOptions['load']>(),
  ttlMs: positiveNumber.optional(),
  maxTables: positiveInteger.optional(),
  isAvailable: fn<(id: string) => boolean>().optional(),
  balance: expected<Balance>("'smooth' or 'random'", (v) => v === 'smooth' || v === 'random').optional(),
  random: fn<() => number>().optional(),
  proxy: expected<RuntimeProxyOptions>('an object of createProxy options', (v) => typeof v === 'object' && v !== null).optional(),
  forward: fn<Forward>().optional(),
  invalidPath: expected<'reject' | 'pass'>("'reject' or 'pass'", (v) => v === 'reject' || v === 'pass').optional(),
  on: z.strictObject({ load: fn<RuntimeRouterHooks['load']>().optional(), loadError: fn<RuntimeRouterHooks['loadError']>().optional() }).optional(),
  clock: clockSchema.optional(),
});

function jsonResponse(status: number, body: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

function callHook<S>(hook: ((state: S) => void) | undefined, state: S): void {
  try {
    hook?.(state);
  } catch {
    // A logging hook must not change routing.
  }
}

/**
 * Creates the runtime router of the seed: per-key route tables (per function, per tenant) loaded
 * by any async loader, validated, and cached on lru-cache with a TTL; requests that match a route
 * are forwarded through `createProxy` (or `forward`), others return null so the app runs its own
 * handler.
 *
 * Concurrent lookups of a key share one load. A table that fails validation is reported through
 * `on.loadError` with an error naming the bad route, and the last good table for that key keeps
 * serving for another TTL.
 *
 * @example
 * const router = createRuntimeRouter({ load: (fnId) => db.routesOf(fnId), ttlMs: 60_000 });
 * const response = await router.handle(fnId, request, { path: req.url, clientAddress: req.socket.remoteAddress });
 * return response ?? runFunction(fnId, request);
 */
export function createRuntimeRouter(options: RuntimeRouterOptions): RuntimeRouter {
  parseOptions(optionsSchema, options, 'options');
  const ttlMs = options.ttlMs ?? 300_000;
  const maxTables = options.maxTables ?? 1000;
  const clock = options.clock ?? systemClock;
  const invalidPath = options.invalidPath ?? 'reject';
  const proxyOptions = options.proxy ?? {};
  const matcherOptions = {
    ...(options.isAvailable === undefined ? {} : { isAvailable: options.isAvailable }),
    ...(options.balance === undefined ? {} : { balance: options.balance }),
    ...(options.random === undefined ? {} : { random: options.random }),
  };
  if (options.forward === undefined) {
    // Proxies are created lazily per target; check their options now so a typo fails at startup.
    try {
      createProxy({ ...proxyOptions, target: 'http://127.0.0.1', clock });
    } catch (error) {
      if (isSwitchyardError(error)) throw new SwitchyardError(error.code, error.message.replace('`createProxy.', '`proxy.'));
      throw error;
    }
  }

  const cache = new LRUCache<string, Table>({
    max: maxTables,
    ttl: ttlMs,
    // 0: read the clock on every check instead of caching it behind a timer.
    ttlResolution: 0,
    noDeleteOnStaleGet: true,
    perf: { now: () => clock.now() },
  });
  const inflight = new Map<string, Flight>();
  const counters = { hits: 0, misses: 0, loads: 0, errors: 0 };

  const startLoad = (key: string): Flight => {
    counters.loads += 1;
    const flight = {} as Flight;
    const current = () => inflight.get(key) === flight;
    flight.promise = (async () => {
      const started = clock.now();
      try {
        const raw = await options.load(key);
        const matcher = buildMatcher(raw ?? [], matcherOptions);
        const table: Table = { matcher, proxies: new Map(), invalidated: false };
        if (current()) cache.set(key, table);
        callHook(options.on?.load, { key, routes: matcher.routes.length, durationMs: clock.now() - started });
        return table;
      } catch (error) {
        counters.errors += 1;
        const stale = cache.get(key, { allowStale: true });
        // Serve the last good table for another TTL instead of loading on every request meanwhile.
        const last = stale === undefined ? undefined : { ...stale, invalidated: false };
        if (last !== undefined && current()) cache.set(key, last);
        callHook(options.on?.loadError, { key, error, kept: last !== undefined });
        if (last !== undefined) return last;
        const rejected = isSwitchyardError(error) && error.code === 'INVALID_CONFIG';
        throw new SwitchyardError(
          rejected ? 'INVALID_CONFIG' : 'UPSTREAM_ERROR',
          rejected ? `Route table for \`${key}\` was rejected: ${error.message}` : `Route table for \`${key}\` could not be loaded`,
          { cause: error },
        );
      } finally {
        if (current()) inflight.delete(key);
      }
    })();
    inflight.set(key, flight);
    return flight;
  };

  const tableFor = (key: string): Promise<Table> => {
    const fresh = cache.get(key);
    if (fresh !== undefined && !fresh.invalidated) {
      counters.hits += 1;
      return Promise.resolve(fresh);
    }
    counters.misses += 1;
    return (inflight.get(key) ?? startLoad(key)).promise;
  };

  const defaultForward = (table: Table): Forward => (request, target, match, init) => {
    const id = `${target.origin}\n${match.route.name}`;
    let proxy = table.proxies.get(id);
    if (proxy === undefined) {
      proxy = createProxy({ ...proxyOptions, target: target.origin, name: match.route.name, clock });
      table.proxies.set(id, proxy);
    }
    return proxy.handle(request, { ...init, path: target.path });
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
      const forward = options.forward ?? defaultForward(table);
      return forward(request, match.target, match, init);
    },

    invalidate(key) {
      inflight.delete(key);
      const table = cache.get(key, { allowStale: true });
      if (table !== undefined) table.invalidated = true;
    },

    clear() {
      inflight.clear();
      cache.clear();
    },

    cleanup() {
      const before = cache.size;
      cache.purgeStale();
      return before - cache.size;
    },

    stats() {
      return { ...counters, size: cache.size, ttlMs };
    },
  };
}
