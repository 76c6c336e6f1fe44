import { normalizeSegments } from './normalizePath.js';

/** What a pattern segment matches: a literal, a named segment, any one segment, or the rest. */
export type SegmentKind = 'static' | 'param' | 'star' | 'rest';

/** How specific a route is, in the order routes are tried: exact before params before wildcards. */
export type RouteKind = 'exact' | 'params' | 'wildcard';

/** One `/`-separated part of a pattern. */
export interface PatternSegment {
  kind: SegmentKind;
  /** The canonical literal for `static`, the name for `param`, '' otherwise. */
  value: string;
}

/** A validated route pattern and its rou3 spelling. */
export interface ParsedPattern {
  source: string;
  segments: readonly PatternSegment[];
  kind: RouteKind;
  /** The same pattern in rou3 syntax (rou3's own `*` means "the rest", ours means one segment). */
  rou3: string;
  paramNames: readonly string[];
  /** Index of the rest wildcard, i.e. how many path segments the route consumes before it. */
  restAt: number | undefined;
}

const PARAM_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const FORBIDDEN = /[\u0000-\u0020\u007f?#\\]/;
// rou3 gives these a meaning inside a literal; escaped, they match themselves.
const ROU3_SPECIAL = /[()+{}]/g;

/**
 * Parses a route pattern: segments are literals, `:name` (one segment, captured), `*` (any one
 * segment) or, as the last segment, `*` or `**` (everything under the prefix, including nothing).
 *
 * A trailing `*` means "the rest" because that is how route tables are written in practice
 * (`/api/users/*` routes everything under `/api/users`); a `*` anywhere else is one segment.
 */
export function parsePattern(source: string): { ok: true; pattern: ParsedPattern } | { ok: false; reason: string } {
  if (!source.startsWith('/')) return { ok: false, reason: 'must start with `/`' };
  if (FORBIDDEN.test(source)) {
    return { ok: false, reason: 'must not contain `?`, `#`, `\\`, spaces or control characters' };
  }
  const trimmed = source.length > 1 && source.endsWith('/') ? source.slice(0, -1) : source;
  const parts = trimmed === '/' ? [] : trimmed.slice(1).split('/');
  const segments: PatternSegment[] = [];
  const paramNames: string[] = [];
  const rou3: string[] = [];
  let stars = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    if (part === '') return { ok: false, reason: 'must not contain an empty segment (`//`)' };
    if (part === '**' || (part === '*' && last)) {
      if (!last) return { ok: false, reason: '`**` may only be the last segment' };
      segments.push({ kind: 'rest', value: '' });
      rou3.push('**');
      continue;
    }
    if (part === '*') {
      segments.push({ kind: 'star', value: '' });
      rou3.push(`:_${stars++}`);
      continue;
    }
    if (part.startsWith(':')) {
      const name = part.slice(1);
      if (!PARAM_NAME.test(name)) {
        return { ok: false, reason: `\`${part}\` must be \`:\` and a letter followed by letters, digits or \`_\`` };
      }
      if (paramNames.includes(name)) return { ok: false, reason: `repeats the parameter \`${part}\`` };
      paramNames.push(name);
      segments.push({ kind: 'param', value: name });
      rou3.push(`:${name}`);
      continue;
    }
    if (part.includes('*') || part.includes(':')) {
      return { ok: false, reason: `\`*\` and \`:name\` must fill a whole segment, got \`${part}\`` };
    }
    const literal = normalizeSegments(`/${part}`);
    if (!literal.ok) return { ok: false, reason: `the segment \`${part}\` is not allowed (${literal.reason})` };
    const canonical = literal.path.slice(1);
    segments.push({ kind: 'static', value: canonical });
    rou3.push(canonical.replace(ROU3_SPECIAL, '\\$&'));
  }
  const kinds = new Set(segments.map((segment) => segment.kind));
  const kind: RouteKind = kinds.has('star') || kinds.has('rest') ? 'wildcard' : kinds.has('param') ? 'params' : 'exact';
  const restAt = segments.at(-1)?.kind === 'rest' ? segments.length - 1 : undefined;
  return {
    ok: true,
    pattern: { source, segments, kind, rou3: `/${rou3.join('/')}`, paramNames, restAt },
  };
}

const KIND_ORDER: Record<RouteKind, number> = { exact: 0, params: 1, wildcard: 2 };
const SEGMENT_ORDER: Record<SegmentKind, number> = { static: 0, param: 1, star: 2, rest: 3 };

/**
 * Orders two patterns most specific first: exact, then params, then wildcards with more segments
 * first (so a root catch-all comes last); ties go segment by segment from the left, a literal
 * before `:param` before `*` before the rest. Returns 0 for patterns of equal specificity.
 */
export function compareSpecificity(a: ParsedPattern, b: ParsedPattern): number {
  const byKind = KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  if (byKind !== 0) return byKind;
  if (a.kind === 'wildcard' && a.segments.length !== b.segments.length) return b.segments.length - a.segments.length;
  const length = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const bySegment = SEGMENT_ORDER[a.segments[i]!.kind] - SEGMENT_ORDER[b.segments[i]!.kind];
    if (bySegment !== 0) return bySegment;
  }
  return b.segments.length - a.segments.length;
}
