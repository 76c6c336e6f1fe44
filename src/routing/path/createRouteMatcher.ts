import { addRoute, createRouter, findAllRoutes, type RouterContext } from 'rou3';
import { compileRouter } from 'rou3/compiler';
import { expected, fn, parseOptions, v } from '../../_internal/validate.js';
import { createPicker, type Balance, type Picker } from './balance.js';
import { normalizePath } from './normalizePath.js';
import { compileTable, type CompiledRoute, type CompiledTarget } from './table.js';
import type { HeadersInput, MatchInput, MatchedTarget, RouteInfo, RouteMatch, RouteTable } from './types.js';

/** Options of `createRouteMatcher`. */
export interface RouteMatcherOptions {
  /**
   * Whether a target may receive requests now, by target id; wire a breaker's state here so open
   * circuits are skipped. Must not throw.
   * @default every target is available
   */
  isAvailable?: (targetId: string) => boolean;
  /**
   * How a route with several targets spreads requests: `'smooth'` weighted round-robin
   * (deterministic, exact shares) or `'random'` weighted random (no shared state).
   * @default 'smooth'
   */
  balance?: Balance;
  /**
   * Random source in [0, 1) for `balance: 'random'`.
   * @default Math.random
   */
  random?: () => number;
  /**
   * Compile the table into one JavaScript function with rou3's compiler when that makes lookups
   * faster: for tables of up to about a hundred routes, as most gateway tables are (larger ones,
   * whose generated code V8 optimises less well, are walked). It needs code generation
   * (`new Function`): where that is disallowed (a Content-Security-Policy without `unsafe-eval`,
   * Cloudflare Workers) the matcher walks the tree instead, matching exactly the same. `false`
   * never compiles, which also keeps CSP reports quiet.
   * @default true
   */
  compile?: boolean;
}

/** Matches request paths against a route table, most specific route first. */
export interface RouteMatcher {
  /** Every route, most specific first (the order in which they are tried). */
  readonly routes: readonly RouteInfo[];
  /**
   * Finds the most specific route whose path, method and header conditions fit the request and
   * picks one of its targets; null when nothing matches or the path is refused by `normalizePath`.
   */
  match(input: MatchInput): RouteMatch | null;
}

const optionsSchema = v.strictObject({
  isAvailable: fn<(id: string) => boolean>().optional(),
  balance: expected<Balance>("'smooth' or 'random'", (v) => v === 'smooth' || v === 'random').optional(),
  random: fn<() => number>().optional(),
  compile: v.boolean().optional(),
});

/** The part of a matcher the runtime router shares: lookup on an already normalised path. */
export interface MatcherCore {
  routes: readonly RouteInfo[];
  lookup(method: string, path: string, search: string, headers: HeadersInput | undefined): RouteMatch | null;
}

type HeaderGetter = (name: string) => string | undefined;

function headerGetter(headers: HeadersInput | undefined): HeaderGetter {
  if (headers === undefined) return () => undefined;
  if (typeof (headers as Headers).get === 'function' && typeof (headers as Headers).forEach === 'function') {
    const h = headers as Headers;
    return (name) => h.get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  return (name) => {
    let value = record[name];
    if (value === undefined) {
      const key = Object.keys(record).find((k) => k.toLowerCase() === name);
      value = key === undefined ? undefined : record[key];
    }
    return value === undefined ? undefined : typeof value === 'string' ? value : value.join(', ');
  };
}

function accepts(route: CompiledRoute, method: string, header: HeaderGetter): boolean {
  if (route.methods !== undefined && !route.methods.has(method)) return false;
  for (const [name, test] of route.headers) {
    const value = header(name);
    if (value === undefined || !test(value)) return false;
  }
  return true;
}

function buildTarget(target: CompiledTarget, encoded: Record<string, string>, rest: string, search: string): MatchedTarget {
  let path = '';
  for (const part of target.template) path += `/${typeof part === 'string' ? part : encoded[part.param]!}`;
  if (rest !== '') path += `/${rest}`;
  if (path === '') path = '/';
  path += search;
  return { id: target.id, origin: target.origin, path, url: `${target.origin}${path}` };
}

/** Tables with more routes than this are walked without trying: compiling them costs more than it can gain. */
const MAX_COMPILED_ROUTES = 256;

/**
 * The most generated code kept, in characters. V8 optimises a large function less well: measured
 * with rou3 1.0, the compiled lookup stops beating the tree walk between about 24,000 and 35,000
 * characters (some 130 to 190 routes of `/svc/v1/:id/items/**` shape; flat tables stay smaller).
 */
const MAX_COMPILED_SOURCE = 24_000;

/** Set once code generation has been refused here: every later table is walked without trying. */
let codegenRefused = false;

/**
 * Every route whose pattern fits a path, in no particular order: the compiled lookup where it is
 * wanted, small enough to be faster, and allowed; else rou3's tree walk. Both find the same set.
 */
function matchAll(router: RouterContext<Entry>, compile: boolean, routes: number): (path: string) => readonly { data: Entry }[] {
  if (compile && !codegenRefused && routes <= MAX_COMPILED_ROUTES) {
    try {
      const compiled = compileRouter(router, { matchAll: true });
      if (compiled.toString().length <= MAX_COMPILED_SOURCE) return (path) => compiled('', path);
    } catch (error) {
      // A Content-Security-Policy without 'unsafe-eval', Cloudflare Workers,
      // --disallow-code-generation-from-strings; anything else is a bug to report.
      if (!(error instanceof EvalError)) throw error;
      codegenRefused = true;
    }
  }
  return (path) => findAllRoutes(router, '', path, { params: false });
}

/** A compiled route with its per-lookup helpers precomputed. */
interface Entry {
  route: CompiledRoute;
  rank: number;
  picker: Picker;
  /** Segment index and name of each `:param`, in path order. */
  slots: readonly (readonly [index: number, name: string])[];
  restAt: number | undefined;
  conditional: boolean;
}

const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Builds the rou3 tree and lookup for a table; no option validation (callers do it). */
export function buildMatcher(table: RouteTable, options: RouteMatcherOptions = {}): MatcherCore {
  const compiled = compileTable(table);
  const isAvailable = options.isAvailable;
  const available = isAvailable === undefined ? () => true : (target: CompiledTarget) => isAvailable(target.id);
  const balance = options.balance ?? 'smooth';
  const random = options.random ?? Math.random;
  const entries: Entry[] = compiled.map((route) => ({
    route,
    rank: route.rank,
    picker: createPicker(route.targets, balance, random),
    slots: route.pattern.segments.flatMap((segment, index) => (segment.kind === 'param' ? [[index, segment.value] as const] : [])),
    restAt: route.pattern.restAt,
    conditional: route.methods !== undefined || route.headers.length > 0,
  }));

  const router: RouterContext<Entry> = createRouter<Entry>();
  // Exact routes are found by a map lookup first: nothing can beat an exact route that accepts.
  const exact = new Map<string, Entry[]>();
  for (const entry of entries) {
    const pattern = entry.route.pattern;
    addRoute(router, '', pattern.rou3, entry);
    if (pattern.kind === 'exact') {
      const key = `/${pattern.segments.map((segment) => segment.value).join('/')}`;
      const list = exact.get(key) ?? [];
      list.push(entry);
      exact.set(key, list);
    }
  }

  const candidates = matchAll(router, options.compile ?? true, compiled.length);

  const resolve = (entry: Entry, path: string, search: string): RouteMatch => {
    let params: Record<string, string> = NO_PARAMS;
    let encoded: Record<string, string> = NO_PARAMS;
    let rest = '';
    const { slots, restAt } = entry;
    if (slots.length > 0 || restAt !== undefined) {
      if (slots.length > 0) {
        params = {};
        encoded = {};
      }
      // One scan over the segment boundaries instead of split(): lookups stay allocation-light.
      let segment = 0;
      let slot = 0;
      let start = 1;
      if (restAt === 0) rest = path.slice(1);
      else {
        for (let i = 1; i <= path.length; i++) {
          if (i < path.length && path.charCodeAt(i) !== 47) continue;
          const current = slots[slot];
          if (current !== undefined && current[0] === segment) {
            const value = path.slice(start, i);
            encoded[current[1]] = value;
            params[current[1]] = value.includes('%') ? decodeURIComponent(value) : value;
            slot += 1;
          }
          segment += 1;
          start = i + 1;
          if (segment === restAt) {
            rest = path.slice(start);
            break;
          }
        }
      }
    }
    const index = entry.picker(available);
    return {
      route: entry.route.info,
      params,
      path,
      search,
      target: index === -1 ? null : buildTarget(entry.route.targets[index]!, encoded, rest, search),
    };
  };

  const lookup: MatcherCore['lookup'] = (method, path, search, headers) => {
    // Conditions are read lazily: most routes have none, and a lookup creates no closures.
    let upper: string | undefined;
    let header: HeaderGetter | undefined;
    const key = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const exactEntries = exact.get(key);
    if (exactEntries !== undefined) {
      for (const entry of exactEntries) {
        if (entry.conditional && !accepts(entry.route, (upper ??= method.toUpperCase()), (header ??= headerGetter(headers)))) continue;
        return resolve(entry, path, search);
      }
    }
    let best: Entry | undefined;
    for (const candidate of candidates(path)) {
      const entry = candidate.data;
      if (best !== undefined && entry.rank >= best.rank) continue;
      if (entry.conditional && !accepts(entry.route, (upper ??= method.toUpperCase()), (header ??= headerGetter(headers)))) continue;
      best = entry;
    }
    return best === undefined ? null : resolve(best, path, search);
  };

  return { routes: Object.freeze(compiled.map((route) => route.info)), lookup };
}

/**
 * Reads method, raw path and headers from a `Request` or a plain input. A `Request` is recognised
 * by shape, not `instanceof`, so one from another realm or fetch implementation works too.
 */
export function readInput(input: MatchInput): { method: string; raw: string; headers: HeadersInput | undefined } {
  const plain = input as Exclude<MatchInput, Request>;
  if (typeof plain.path === 'string') return { method: plain.method ?? 'GET', raw: plain.path, headers: plain.headers };
  const request = input as Request;
  const url = new URL(request.url);
  return { method: request.method, raw: `${url.pathname}${url.search}`, headers: request.headers };
}

/**
 * Creates a path matcher over a route table (rou3 underneath), trying routes most specific first:
 * exact paths, then `:param` routes, then wildcards with more segments first, the root catch-all
 * last; per route, optional method and header conditions, and one or several weighted targets.
 *
 * Paths are normalised before matching and refused (no match) when they hold `//`, dot segments
 * or encoded separators. A wildcard route forwards what follows its prefix:
 * `/api/v1/users/*` with `https://user-service.internal` sends `/api/v1/users/123` to
 * `https://user-service.internal/123`; other routes send to their target URL, with `:name`
 * segments filled from the path.
 *
 * @example
 * const matcher = createRouteMatcher({
 *   '/api/health': 'https://health-service.internal/status',
 *   '/api/*': 'https://api.example.com',
 * });
 * matcher.match({ method: 'GET', path: '/api/users/123' })?.target?.url; // 'https://api.example.com/users/123'
 */
export function createRouteMatcher(routes: RouteTable, options: RouteMatcherOptions = {}): RouteMatcher {
  parseOptions(optionsSchema, options, 'options');
  const core = buildMatcher(routes, options);
  return {
    routes: core.routes,
    match(input) {
      const { method, raw, headers } = readInput(input);
      const normalized = normalizePath(raw);
      return normalized.ok ? core.lookup(method, normalized.path, normalized.search, headers) : null;
    },
  };
}
