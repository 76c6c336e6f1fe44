const HOSTNAME = /^[A-Za-z0-9._-]+$/;
const PORT = /^(?:0|[1-9]\d{0,4})$/;

/**
 * The value of a client's `Host` header when it is exactly `host[:port]` (a DNS name, an IPv4
 * address or a bracketed IPv6 address, and an optional numeric port), else undefined.
 *
 * A Host header is client input: joined into a URL, `a/admin?x=`, `a#` or `u@h` would move the
 * path, start a fragment or add credentials. The hostname must also come back unchanged from the
 * URL parser, so forms it rewrites (`127.1`, `0x7f.0.0.1`, `[0::1]`) are refused rather than
 * forwarded in a spelling the next hop may read differently.
 */
export function validHost(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  let hostname: string;
  let rest: string;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close === -1) return undefined;
    hostname = value.slice(0, close + 1);
    rest = value.slice(close + 1);
  } else {
    const colon = value.indexOf(':');
    hostname = colon === -1 ? value : value.slice(0, colon);
    rest = colon === -1 ? '' : value.slice(colon);
    if (!HOSTNAME.test(hostname)) return undefined;
  }
  if (rest !== '') {
    const port = rest.slice(1);
    if (!rest.startsWith(':') || !PORT.test(port) || Number(port) > 65_535) return undefined;
  }
  // The port is checked above, so only the hostname has to survive the parser (which would drop a
  // default port and so never round-trip `host:80`).
  let parsed: URL;
  try {
    parsed = new URL(`http://${hostname}`);
  } catch {
    return undefined;
  }
  return parsed.hostname === hostname.toLowerCase() ? value : undefined;
}
