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

/**
 * Copies headers without the hop-by-hop ones and without every header that `Connection` names,
 * so a client cannot make the proxy drop or keep headers for the next hop.
 */
export function withoutHopByHop(headers: Headers, alsoDrop: ReadonlySet<string> = new Set()): Headers {
  const named = new Set<string>();
  const connection = headers.get('connection');
  if (connection !== null) {
    for (const token of connection.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '') named.add(name);
    }
  }
  const out = new Headers();
  headers.forEach((value, name) => {
    if (HOP_BY_HOP.has(name) || named.has(name) || alsoDrop.has(name) || name === 'set-cookie') return;
    out.append(name, value);
  });
  if (!named.has('set-cookie') && !alsoDrop.has('set-cookie')) {
    for (const cookie of headers.getSetCookie()) out.append('set-cookie', cookie);
  }
  return out;
}

/** Approximate wire size of a header block: `name: value\r\n` per field. */
export function headerBytes(headers: Headers): number {
  let total = 0;
  headers.forEach((value, name) => {
    total += name.length + value.length + 4;
  });
  return total;
}

/** A `Headers` object as a plain record of lower-case names (repeated fields already combined). */
export function recordOf(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}
