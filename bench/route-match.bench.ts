/**
 * The cost of one path lookup. switchyard's RouteMatcher (path normalisation, rou3's compiled lookup,
 * the most-specific-first order, target URL building) against rou3 alone (`findRoute`) and
 * find-my-way (`find`) on the same table: a BFF gateway's table plus 52 routes. Contenders are
 * measured in alternating rounds; each one's median round is reported.
 */
import FindMyWay from 'find-my-way';
import { addRoute, createRouter, findAllRoutes, findRoute } from 'rou3';
import { createRouteMatcher } from '../dist/routing.js';

const SEED: Record<string, string> = {
  '/api/v1/auth/*': 'https://auth-service.internal',
  '/api/v1/users/*': 'https://user-service.internal',
  '/api/v1/orders/*': 'https://order-service.internal',
  '/*': 'https://frontend.example.com',
};

function table(): Record<string, string> {
  const routes: Record<string, string> = { ...SEED };
  const services = ['billing', 'catalog', 'search', 'reviews', 'media', 'notify', 'tenants', 'reports', 'audit', 'flags'];
  for (const service of services) {
    routes[`/api/v2/${service}/health`] = `https://${service}.internal/status`;
    routes[`/api/v2/${service}/:id`] = `https://${service}.internal/items/:id`;
    routes[`/api/v2/${service}/:id/history`] = `https://${service}.internal/items/:id/history`;
    routes[`/api/v2/${service}/*`] = `https://${service}.internal`;
    routes[`/${service}/*`] = `https://${service}-legacy.internal`;
  }
  routes['/api/*'] = 'https://api.example.com';
  routes['/static/*'] = 'https://cdn.example.com';
  return routes;
}

const GATEWAY_PATHS = [
  '/api/v1/users/123',
  '/api/v1/auth/login',
  '/api/v1/orders/77/items',
  '/about/team',
  '/api/v2/catalog/health',
  '/api/v2/search/42',
  '/api/v2/reviews/9/history',
  '/api/v2/media/a/b/c.png',
  '/flags/beta',
  '/api/other/thing',
  '/static/js/app.js',
  '/',
];

/** Our pattern syntax in rou3's: a trailing `*` is rou3's `**` (rou3's own `*` has another meaning). */
const toRou3 = (pattern: string) => (pattern.endsWith('/*') ? `${pattern.slice(0, -1)}**` : pattern);

/** The paths the contenders cycle over (the gateway's, or a wide table's). */
const PATHS = [...GATEWAY_PATHS];

function warm(lookup: (path: string) => unknown): void {
  for (const path of PATHS) if (lookup(path) == null) throw new Error(`no match for ${path}`);
  for (let i = 0; i < 20_000; i++) lookup(PATHS[i % PATHS.length]!);
}

/** ns per lookup over one round of about `ms`. */
function round(lookup: (path: string) => unknown, ms: number): number {
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < ms) {
    for (let i = 0; i < 200; i++) for (const path of PATHS) lookup(path);
    count += 200 * PATHS.length;
  }
  return ((performance.now() - started) * 1e6) / count;
}

/** Rounds of every contender in turn (the order rotating), so drift in the machine hits all alike. */
function measureAll<K extends string>(contenders: Record<K, (path: string) => unknown>, rounds = 9, ms = 250): Record<K, number> {
  const names = Object.keys(contenders) as K[];
  for (const name of names) warm(contenders[name]);
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length]!;
      samples[name].push(round(contenders[name], ms));
    }
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return Object.fromEntries(names.map((name) => [name, median(samples[name])])) as Record<K, number>;
}

/** A wide table: `services` services, each with an exact, a `:param` and a wildcard route, and a catch-all. */
function wideTable(services: number): { routes: Record<string, string>; paths: string[] } {
  const routes: Record<string, string> = {};
  const paths: string[] = [];
  for (let i = 0; i < services; i++) {
    routes[`/svc${i}/health`] = `https://svc${i}.internal/status`;
    routes[`/svc${i}/:id`] = `https://svc${i}.internal/items/:id`;
    routes[`/svc${i}/*`] = `https://svc${i}.internal`;
    if (i % Math.max(1, Math.floor(services / 4)) === 0) paths.push(`/svc${i}/health`, `/svc${i}/42`, `/svc${i}/a/b.png`);
  }
  routes['/*'] = 'https://frontend.example.com';
  paths.push('/about');
  return { routes, paths };
}

export default async function bench(): Promise<string> {
  const routes = table();
  const count = Object.keys(routes).length;

  const matcher = createRouteMatcher(routes);
  const walking = createRouteMatcher(routes, { compile: false });
  const rou3 = createRouter<string>();
  for (const [pattern, target] of Object.entries(routes)) addRoute(rou3, 'GET', toRou3(pattern), target);
  const fmw = FindMyWay();
  for (const [pattern, target] of Object.entries(routes)) fmw.on('GET', pattern, () => target);

  const results = measureAll({
    switchyard: (path) => matcher.match({ method: 'GET', path }),
    switchyardWalking: (path) => walking.match({ method: 'GET', path }),
    rou3: (path) => findRoute(rou3, 'GET', path),
    rou3All: (path) => findAllRoutes(rou3, 'GET', path, { params: false })[0],
    findMyWay: (path) => fmw.find('GET', path),
  });
  const wideRows: string[] = [];
  for (const services of [8, 32, 128]) {
    const wide = wideTable(services);
    const auto = createRouteMatcher(wide.routes);
    const walked = createRouteMatcher(wide.routes, { compile: false });
    const bare = createRouter<string>();
    for (const [pattern, target] of Object.entries(wide.routes)) addRoute(bare, 'GET', toRou3(pattern), target);
    PATHS.splice(0, PATHS.length, ...wide.paths);
    const r = measureAll({
      auto: (path) => auto.match({ method: 'GET', path }),
      walked: (path) => walked.match({ method: 'GET', path }),
      rou3: (path) => findRoute(bare, 'GET', path),
    }, 5, 150);
    const count = Object.keys(wide.routes).length;
    wideRows.push(`| ${count} (${services} exact) | ${r.auto.toFixed(0)} | ${(r.auto / r.rou3).toFixed(2)}× | ${r.walked.toFixed(0)} | ${(r.walked / r.rou3).toFixed(2)}× | ${r.rou3.toFixed(0)} |`);
  }
  PATHS.splice(0, PATHS.length, ...GATEWAY_PATHS);
  const row = (name: string, ns: number) =>
    `| ${name} | ${ns.toFixed(0)} | ${(ns / results.rou3).toFixed(2)}× | ${(ns / results.findMyWay).toFixed(2)}× |`;
  return `## Route matching

One lookup on a table of ${count} routes (a BFF gateway's table plus exact, \`:param\` and
wildcard routes for ten services), cycling over ${PATHS.length} paths that hit every kind of route.
switchyard's \`createRouteMatcher().match()\` does more than a lookup: it normalises and checks the
path, finds every route whose pattern fits (rou3's compiled \`matchAll\`), takes the most specific
one that accepts the request's method and headers, picks a target and builds its URL. With
\`compile: false\` (for runtimes that forbid code generation) it walks rou3's tree
(\`findAllRoutes\`) instead. rou3 alone is \`findRoute\` and find-my-way is \`find\` on the same
patterns; rou3 \`findAllRoutes\` is listed to show where the time of the walking matcher goes.
ns per lookup (lower is better), the median of 9 rounds with the contenders alternated.

| matcher | ns / lookup | vs rou3 findRoute | vs find-my-way find |
|---|---|---|---|
${row('switchyard match()', results.switchyard)}
${row('switchyard match(), compile: false', results.switchyardWalking)}
${row('rou3 findRoute', results.rou3)}
${row('rou3 findAllRoutes (params: false)', results.rou3All)}
${row('find-my-way find', results.findMyWay)}

Wider tables: per service an exact, a \`:param\` and a wildcard route. The matcher compiles a
table of up to 256 routes and keeps the compiled lookup when its generated code is at most 24,000
characters (V8 optimises larger functions less well); otherwise it walks the tree. The first
column is what it chose. ns per lookup, median of 5 rounds.

| routes | switchyard match() | vs rou3 findRoute | compile: false | vs rou3 findRoute | rou3 findRoute |
|---|---|---|---|---|---|
${wideRows.join('\n')}`;
}
