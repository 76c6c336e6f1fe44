import { FORBIDDEN_RAW, segmentProblem } from '../_internal/pathSegments.js';

/** The result of checking a client- or caller-supplied path before it is joined onto a base. */
export type PathCheck =
  | { ok: true; pathname: string; search: string }
  | { ok: false; reason: string };

/**
 * Checks a path-plus-query that will be appended to a base path.
 *
 * It refuses rather than normalises: dot segments (raw or percent-encoded, once or several times),
 * encoded slashes, backslashes, empty segments (`//host`), absolute URLs, fragments and control
 * characters. Normalising is how proxies got prefix escapes; refusing keeps what the upstream sees
 * identical to what was checked.
 */
export function checkPath(input: string): PathCheck {
  if (input === '') return { ok: true, pathname: '/', search: '' };
  if (FORBIDDEN_RAW.test(input)) return { ok: false, reason: 'forbidden character' };
  const queryAt = input.indexOf('?');
  const pathname = queryAt === -1 ? input : input.slice(0, queryAt);
  const search = queryAt === -1 ? '' : input.slice(queryAt);
  if (!pathname.startsWith('/')) return { ok: false, reason: 'not an absolute path' };
  const segments = pathname.slice(1).split('/');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    // A trailing slash is an empty last segment and is allowed; any other empty one is not.
    if (segment === '') {
      if (i === segments.length - 1) continue;
      return { ok: false, reason: 'empty segment' };
    }
    const problem = segmentProblem(segment);
    if (problem !== undefined) return { ok: false, reason: problem };
  }
  return { ok: true, pathname, search };
}

/**
 * What is wrong with a worker's request path, said so that the developer can fix it ("path must
 * start with /"); `undefined` when it is fine. Never echoes the path (it may carry user data).
 */
export function pathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string') return `path must be a string, got ${path === null ? 'null' : typeof path}`;
  const check = checkPath(path);
  if (check.ok) return undefined;
  return check.reason === 'not an absolute path' ? 'path must start with /' : `path was refused: ${check.reason}`;
}

/** A base URL split once, for joining many paths onto it. */
export interface Base {
  origin: string;
  /** The base path without its trailing slash ('' for the root). */
  path: string;
}

/** Splits a base URL; its query and fragment are not part of the base. */
export function toBase(url: string | URL): Base {
  const parsed = new URL(url);
  return { origin: parsed.origin, path: parsed.pathname.replace(/\/+$/, '') };
}

/**
 * Joins a checked path onto a base by string concatenation (never `new URL(path, base)`, which
 * lets `//host` or `http://x` pick another origin), then parses the result and confirms that the
 * origin and the base path prefix survived.
 */
export function joinPath(base: Base, input: string): URL | undefined {
  const check = checkPath(input);
  if (!check.ok) return undefined;
  const url = new URL(`${base.origin}${base.path}${check.pathname}${check.search}`);
  if (url.origin !== base.origin) return undefined;
  const inside = url.pathname === (base.path || '/') || url.pathname.startsWith(`${base.path}/`);
  return inside ? url : undefined;
}
