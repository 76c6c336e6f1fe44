import { SwitchyardError } from '../../errors/SwitchyardError.js';
import { expected, parseOptions, positiveNumber, v } from '../../_internal/validate.js';
import { compareSpecificity, parsePattern, type ParsedPattern } from './pattern.js';
import type { HeaderCondition, RouteDefinition, RouteInfo, RouteTable } from './types.js';

/** One upstream of a compiled route; `template` is its path with `:name` slots. */
export interface CompiledTarget {
  id: string;
  url: string;
  weight: number;
  origin: string;
  template: readonly (string | { param: string })[];
}

/** A validated route with everything a lookup needs precomputed. */
export interface CompiledRoute {
  /** Position in the specificity order: lower is tried first. */
  rank: number;
  info: RouteInfo;
  pattern: ParsedPattern;
  methods: ReadonlySet<string> | undefined;
  headers: readonly (readonly [name: string, test: (value: string) => boolean])[];
  targets: readonly CompiledTarget[];
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const nonEmptyString = expected<string>('a non-empty string', (v) => typeof v === 'string' && v.length > 0);

function parseTargetUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string' || !URL.canParse(value)) return undefined;
  const url = new URL(value);
  const plain =
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.username === '' &&
    url.password === '' &&
    url.search === '' &&
    url.hash === '' &&
    !value.includes('?') &&
    !value.includes('#') &&
    !/\/\/./.test(url.pathname);
  return plain ? url : undefined;
}

const targetUrl = expected<string>(
  'an absolute http(s) URL without credentials, query, fragment or empty segments',
  (v) => parseTargetUrl(v) !== undefined,
);

const headerConditions = expected<Record<string, HeaderCondition | undefined>>(
  'an object of header names to an exact value or a RegExp',
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof RegExp) &&
    Object.entries(v).every(
      ([name, condition]) => TOKEN.test(name) && (condition === undefined || typeof condition === 'string' || condition instanceof RegExp),
    ),
);

const methods = expected<string[]>(
  'a non-empty list of HTTP method names',
  (v) => Array.isArray(v) && v.length > 0 && v.every((m) => typeof m === 'string' && TOKEN.test(m)),
);

function placeholders(url: string): string[] {
  return new URL(url).pathname
    .split('/')
    .filter((segment) => segment.startsWith(':'))
    .map((segment) => segment.slice(1));
}

const routeSchema = v
  .strictObject({
    path: v.string().superRefine((value, ctx) => {
      const parsed = parsePattern(value);
      if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `a valid route pattern (${parsed.reason})` });
    }),
    target: targetUrl.optional(),
    targets: v
      .array(
        v.strictObject({
          url: targetUrl,
          weight: positiveNumber.optional(),
          id: nonEmptyString.optional(),
        }),
      )
      .min(1, { error: 'a non-empty list of `{ url, weight?, id? }`' })
      .optional(),
    methods: methods.optional(),
    headers: headerConditions.optional(),
    name: nonEmptyString.optional(),
  })
  .superRefine((route, ctx) => {
    if ((route.target === undefined) === (route.targets === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['target'], message: 'set (a URL), or `targets` set instead, but not both' });
      return;
    }
    const parsed = parsePattern(route.path);
    if (!parsed.ok) return;
    const params = new Set(parsed.pattern.paramNames);
    const urls = route.target !== undefined ? [{ url: route.target, path: ['target'] }] : route.targets!.map((t, i) => ({ url: t.url, path: ['targets', i, 'url'] }));
    for (const { url, path } of urls) {
      const unknown = placeholders(url).find((name) => !params.has(name));
      if (unknown !== undefined) {
        ctx.addIssue({ code: 'custom', path, message: `a URL whose \`:name\` segments are params of \`${route.path}\` (\`:${unknown}\` is not)` });
        return;
      }
    }
    const ids = (route.targets ?? []).map((t) => t.id ?? t.url);
    const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
    if (duplicate !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['targets'], message: `targets with distinct ids (\`${duplicate}\` appears twice)` });
    }
  });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Turns either table form into route objects, each with the field prefix its errors should name. */
function entries(table: unknown): { route: unknown; prefix: string }[] {
  if (Array.isArray(table)) return table.map((route, i) => ({ route, prefix: `routes[${i}]` }));
  if (isPlainObject(table)) {
    return Object.entries(table).map(([path, value]) => {
      const prefix = `routes[${JSON.stringify(path)}]`;
      if (typeof value === 'string') return { route: { path, target: value }, prefix };
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        if ('path' in value) {
          throw new SwitchyardError('INVALID_CONFIG', `Expected \`${prefix}\` to be a route without \`path\` (the key is the path), got a \`path\` field`);
        }
        return { route: { ...value, path }, prefix };
      }
      return { route: { path, target: value }, prefix };
    });
  }
  throw new SwitchyardError(
    'INVALID_CONFIG',
    `Expected \`routes\` to be an object of pattern to target URL or an array of routes, got ${table === null ? 'null' : typeof table}`,
  );
}

function headerTest(condition: HeaderCondition): (value: string) => boolean {
  if (typeof condition === 'string') return (value) => value === condition;
  // Stateful flags would make a shared RegExp answer differently on every other request.
  const regexp = new RegExp(condition.source, condition.flags.replace(/[gy]/g, ''));
  return (value) => regexp.test(value);
}

function compileTarget(url: string, weight: number, id: string): CompiledTarget {
  const parsed = new URL(url);
  const path = parsed.pathname.replace(/\/+$/, '');
  const template = path === '' ? [] : path.slice(1).split('/').map((segment) => (segment.startsWith(':') ? { param: segment.slice(1) } : segment));
  return { id, url, weight, origin: parsed.origin, template };
}

function conditionOrder(a: CompiledRoute, b: CompiledRoute): number {
  const byHeaders = b.headers.length - a.headers.length;
  if (byHeaders !== 0) return byHeaders;
  return (a.methods === undefined ? 1 : 0) - (b.methods === undefined ? 1 : 0);
}

/**
 * Validates a route table and compiles it, most specific route first. Throws `INVALID_CONFIG`
 * naming the route (by its pattern in the object form, by index in the array form) and field.
 */
export function compileTable(table: RouteTable): CompiledRoute[] {
  const compiled = entries(table).map(({ route, prefix }, index) => {
    const valid = parseOptions(routeSchema, route, prefix) as RouteDefinition;
    const pattern = (parsePattern(valid.path) as { ok: true; pattern: ParsedPattern }).pattern;
    const targets = valid.target !== undefined
      ? [compileTarget(valid.target, 1, valid.target)]
      : valid.targets!.map((t) => compileTarget(t.url, t.weight ?? 1, t.id ?? t.url));
    const upper = valid.methods?.map((m) => m.toUpperCase());
    const info: RouteInfo = {
      name: valid.name ?? valid.path,
      path: valid.path,
      kind: pattern.kind,
      methods: upper === undefined ? undefined : Object.freeze([...new Set(upper)]),
      targets: Object.freeze(targets.map(({ id, url, weight }) => Object.freeze({ id, url, weight }))),
    };
    return {
      rank: index,
      info: Object.freeze(info),
      pattern,
      methods: upper === undefined ? undefined : new Set(upper),
      headers: Object.entries(valid.headers ?? {}).flatMap(([name, condition]) =>
        condition === undefined ? [] : [[name.toLowerCase(), headerTest(condition)] as const],
      ),
      targets,
    } satisfies CompiledRoute;
  });
  const ordered = [...compiled].sort(
    (a, b) => compareSpecificity(a.pattern, b.pattern) || conditionOrder(a, b) || a.rank - b.rank,
  );
  ordered.forEach((route, rank) => {
    route.rank = rank;
  });
  return ordered;
}
