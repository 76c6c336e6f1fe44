/**
 * The route matcher picks, for any table and path, the first route in its documented order
 * (`matcher.routes`, most specific first) whose pattern and method fit; compiled or walking
 * rou3's tree, it picks the same one.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { createRouteMatcher } from '../../src/routing/path/createRouteMatcher.js';
import type { RouteDefinition } from '../../src/routing/path/types.js';
import { params } from './_seed.js';

const LITERALS = ['a', 'b', 'c'];

/** One pattern segment: a literal, a `:param`, a one-segment `*`; the last may be the rest. */
const patternSegment = fc.constantFrom('a', 'b', 'c', ':p', '*');
const pattern = fc
  .tuple(fc.array(patternSegment, { maxLength: 4 }), fc.constantFrom('', '/*', '/**'))
  .map(([segments, rest]) => {
    const named = segments.map((segment, i) => (segment === ':p' ? `:p${i}` : segment));
    const path = `/${named.join('/')}${rest}`.replace(/^\/\//, '/');
    return path;
  });
const route = fc.record({
  path: pattern,
  methods: fc.option(fc.subarray(['GET', 'POST'], { minLength: 1 }), { nil: undefined }),
});
const table = fc.array(route, { minLength: 1, maxLength: 12 });
const requestPath = fc
  .tuple(fc.array(fc.constantFrom(...LITERALS, 'x', '%61'), { maxLength: 5 }), fc.boolean())
  .map(([segments, trailing]) => `/${segments.join('/')}${trailing && segments.length > 0 ? '/' : ''}`);

/** Whether a pattern fits a path, read straight from the documented syntax. */
function fits(patternPath: string, path: string): boolean {
  // One trailing slash does not make another path; `%61` is `a` (an unreserved character).
  const canonical = path.replaceAll('%61', 'a').replace(/(.)\/$/, '$1');
  const want = patternPath === '/' ? [] : patternPath.slice(1).split('/');
  const have = canonical === '/' ? [] : canonical.slice(1).split('/');
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    const last = i === want.length - 1;
    if (segment === '**' || (segment === '*' && last)) return true;
    if (i >= have.length) return false;
    if (segment === '*' || segment.startsWith(':')) continue;
    if (segment !== have[i]) return false;
  }
  return want.length === have.length;
}

it('matches the first route in the documented order whose pattern and method fit, compiled or not', () => {
  let matched = 0;
  fc.assert(
    fc.property(table, requestPath, fc.constantFrom('GET', 'POST'), (routes, path, method) => {
      const definitions: RouteDefinition[] = routes.map((r, i) => ({
        name: `r${i}`,
        path: r.path,
        target: 'https://upstream.internal',
        ...(r.methods === undefined ? {} : { methods: r.methods }),
      }));
      const compiled = createRouteMatcher(definitions, { compile: true });
      const walked = createRouteMatcher(definitions, { compile: false });
      const expected = compiled.routes.find((info) => fits(info.path, path) && (info.methods === undefined || info.methods.includes(method)));
      const a = compiled.match({ method, path });
      const b = walked.match({ method, path });
      expect(a?.route.name).toBe(expected?.name);
      expect(b?.route.name).toBe(expected?.name);
      if (expected !== undefined) matched += 1;
    }),
    params(1_000),
  );
  expect(matched).toBeGreaterThan(200);
});
