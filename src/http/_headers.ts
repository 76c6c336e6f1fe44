/** Hop-by-hop headers of RFC 9110 §7.6.1, plus the legacy ones proxies still see. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: visible ASCII, obs-text, space and tab; never CR, LF or NUL.
const FIELD_VALUE = /^[\t\u0020-\u007e\u0080-\u00ff]*$/;

/** True for a header name that is an RFC 9110 token. */
export function isHeaderName(name: string): boolean {
  return TOKEN.test(name);
}

/** True for a header value without CR, LF, NUL or other control characters. */
export function isHeaderValue(value: string): boolean {
  return FIELD_VALUE.test(value);
}

/** True for a `Forwarded` parameter value that may go unquoted. */
export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

const EMPTY_SET: ReadonlySet<string> = new Set();

/** The header names a `Connection` field nominates, lower-cased. */
export function nominated(connection: string | readonly string[] | undefined): ReadonlySet<string> {
  if (connection === undefined) return EMPTY_SET;
  // The usual values name no header that is not already hop-by-hop: skip building a set.
  if (typeof connection === 'string' && /^\s*(?:keep-alive|close)\s*$/i.test(connection)) return EMPTY_SET;
  const named = new Set<string>();
  for (const field of typeof connection === 'string' ? [connection] : connection) {
    for (const token of field.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '') named.add(name);
    }
  }
  return named;
}

/** A `Headers` object as a plain record of lower-case names (repeated fields already combined). */
export function recordOf(headers: Headers): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}
