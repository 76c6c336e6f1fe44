import { FORBIDDEN_RAW, segmentProblem } from '../../_internal/pathSegments.js';

/** The outcome of normalising a request path before it is matched. */
export type NormalizedPath =
  | {
      ok: true;
      /** The canonical, percent-encoded path that routes are matched against. */
      path: string;
      /** The query, with its leading `?`, exactly as received ('' when absent). */
      search: string;
    }
  | {
      ok: false;
      /** Why the path was refused, for server logs. */
      reason: string;
    };

// FORBIDDEN_RAW includes backslash: WHATWG URL parsers turn `\` into `/`, so matching one reading
// and forwarding another is how proxies were bypassed.
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
// Characters a WHATWG URL keeps raw in a path; anything else is percent-encoded (as `new URL()`
// would) so a route's literal and a raw Node `req.url` compare equal. Except `^` and `|`, which
// URLs keep raw but RFC 3986 does not allow at all, so their escape is their only spelling: `/a^b`
// and `/a%5Eb` are both read as `/a%5Eb` (rou3 stores a route's `^` that way too). `[` and `]` are
// reserved characters: raw and escaped they differ, and both stay as they are.
const PCHAR_RAW = /[A-Za-z0-9\-._~!$&'()*+,;=:@%[\]]/;

/**
 * The characters of an already canonical path segment, by char code: those a URL keeps raw, minus
 * `%` (an escape may need canonicalising) and `;` (refused). Everything else takes the slow path.
 */
const CANONICAL = new Uint8Array(128);
for (const char of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=:@") {
  CANONICAL[char.charCodeAt(0)] = 1;
}

/**
 * Whether a path is already canonical and safe, in one pass over its char codes: it starts with
 * `/`, its segments are non-empty (a trailing `/` excepted), none is `.` or `..`, and every
 * character is in {@link CANONICAL}. Most request paths are; the rest go through the full check.
 */
export function isCanonical(pathname: string): boolean {
  const length = pathname.length;
  if (length === 0 || pathname.charCodeAt(0) !== 47) return false;
  let start = 1;
  for (let i = 1; i <= length; i++) {
    const code = i === length ? 47 : pathname.charCodeAt(i);
    if (code === 47) {
      const size = i - start;
      // Only the end may leave a segment empty: the root, or one trailing slash.
      if (size === 0) return i === length;
      if (pathname.charCodeAt(start) === 46 && (size === 1 || (size === 2 && pathname.charCodeAt(start + 1) === 46))) return false;
      start = i + 1;
    } else if (code >= 128 || CANONICAL[code] === 0) {
      return false;
    }
  }
  return true;
}

function encodeChar(char: string): string {
  return Array.from(new TextEncoder().encode(char), (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/**
 * Canonicalises one segment (RFC 3986 §6.2.2): percent-encoded unreserved characters are decoded,
 * other escapes get upper-case hex, characters a URL would encode are encoded. Returns undefined
 * for a malformed escape.
 */
function canonicalSegment(segment: string): string | undefined {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i]!;
    if (char === '%') {
      const hex = segment.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      const decoded = String.fromCharCode(Number.parseInt(hex, 16));
      out += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
      i += 2;
      continue;
    }
    // Read by code point, not by UTF-16 unit: each half of a surrogate pair on its own would
    // encode as U+FFFD, so `/🍌` and `/%F0%9F%8D%8C` would differ (and every emoji would match
    // every other). A lone surrogate still becomes U+FFFD, as in a URL parser.
    const code = segment.codePointAt(i)!;
    if (code > 0xffff) {
      out += encodeChar(String.fromCodePoint(code));
      i += 1;
      continue;
    }
    out += PCHAR_RAW.test(char) ? char : encodeChar(char);
  }
  return out;
}

/** Normalises the path part only (no query); shared by request paths and route literals. */
export function normalizeSegments(pathname: string): { ok: true; path: string } | { ok: false; reason: string } {
  if (isCanonical(pathname)) return { ok: true, path: pathname };
  if (FORBIDDEN_RAW.test(pathname)) return { ok: false, reason: 'forbidden character' };
  if (!pathname.startsWith('/')) return { ok: false, reason: 'not an absolute path' };
  // Servlet containers strip `;params` from segments (`/admin;x/users` is `/admin/users` to them), so
  // a matrix parameter could route a request past a more specific route: refuse it.
  if (pathname.includes(';')) return { ok: false, reason: 'matrix parameter' };
  const segments = pathname.slice(1).split('/');
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === '') {
      // One trailing slash is kept (it is part of what is forwarded); `//` anywhere is refused
      // rather than collapsed, so `//admin` can never be read as `/admin` (rou3 GHSA-x732-6j76-qmhm).
      if (i === segments.length - 1) {
        out.push('');
        continue;
      }
      return { ok: false, reason: 'empty segment' };
    }
    const canonical = canonicalSegment(segment);
    if (canonical === undefined) return { ok: false, reason: 'malformed percent-encoding' };
    const problem = segmentProblem(canonical);
    if (problem !== undefined) return { ok: false, reason: problem };
    out.push(canonical);
  }
  return { ok: true, path: `/${out.join('/')}` };
}

/**
 * Normalises a request path (with or without its query) before it is matched against routes.
 *
 * Percent-encoded unreserved characters are decoded and other escapes upper-cased, so `/%7Euser`
 * and `/~user` match the same route. Nothing is collapsed or resolved: a path with an empty
 * segment (`//admin`), a dot segment (`/a/../b`, `%2e%2E`, `%252e%252e`), an encoded `/` or `\`,
 * a backslash or a control character is refused, because matching one reading of a path and
 * forwarding another is how gateways were bypassed (Envoy CVE-2019-9901).
 *
 * @example
 * normalizePath('/api/%7Ebob?x=1'); // { ok: true, path: '/api/~bob', search: '?x=1' }
 * normalizePath('/api/%2e%2e/admin'); // { ok: false, reason: 'dot segment' }
 */
export function normalizePath(input: string): NormalizedPath {
  if (input === '') return { ok: true, path: '/', search: '' };
  const queryAt = input.indexOf('?');
  const pathname = queryAt === -1 ? input : input.slice(0, queryAt);
  const search = queryAt === -1 ? '' : input.slice(queryAt);
  if (FORBIDDEN_RAW.test(search)) return { ok: false, reason: 'forbidden character' };
  const result = normalizeSegments(pathname);
  return result.ok ? { ok: true, path: result.path, search } : result;
}
