import { EMPTY, iterate, streamOf } from './_streams.js';
import type { Transport, TransportHeaders, TransportRequest, TransportResponse } from './types.js';

/** A fetch-compatible function; the global `fetch` by default. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Options of `fetchTransport`. */
export interface FetchTransportOptions {
  /** Read at each request, so a `fetch` replaced later is used. @default globalThis.fetch */
  fetch?: FetchLike;
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
// Codings that fetch decodes by specification; whoever reads the body must not be told it is encoded.
const FETCH_DECODED = new Set(['gzip', 'x-gzip', 'deflate', 'br', 'identity']);

function decodedByFetch(response: Response, method: string): boolean {
  const coding = response.headers.get('content-encoding');
  if (coding === null || method === 'HEAD' || NULL_BODY_STATUSES.has(response.status)) return false;
  return coding.split(',').every((token) => FETCH_DECODED.has(token.trim().toLowerCase()));
}

function headersOf(response: Response, decoded: boolean): TransportHeaders {
  const out: TransportHeaders = {};
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') return;
    if (decoded && (name === 'content-encoding' || name === 'content-length')) return;
    out[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) out['set-cookie'] = cookies;
  return out;
}

/**
 * A transport over `fetch`, the default on Bun, Deno, edge runtimes and browsers.
 *
 * fetch decodes gzip, deflate and br bodies, so for those codings `content-encoding` and
 * `content-length` are left out of the response headers. A streamed request body is sent with
 * `redirect: 'error'`: for every other mode fetch keeps a copy of the whole upload in case it has
 * to follow a redirect (nodejs/undici#4058), so a redirect answer to an upload rejects.
 *
 * @example
 * const worker = httpWorker({ path: '/users', transport: fetchTransport({ fetch: myFetch }) });
 */
export function fetchTransport(options: FetchTransportOptions = {}): Transport {
  let closed = false;
  const request = async (req: TransportRequest): Promise<TransportResponse> => {
    if (closed) throw new TypeError('The transport is closed');
    const fetchImpl = options.fetch ?? globalThis.fetch;
    const streamed = req.body !== null && typeof req.body !== 'string' && !(req.body instanceof Uint8Array);
    const response = await fetchImpl(req.url.href, {
      method: req.method,
      headers: req.headers,
      body: streamed ? streamOf(req.body as AsyncIterable<Uint8Array>) : (req.body as string | Uint8Array | null),
      signal: req.signal,
      // Following a redirect would send credentials, or the request, wherever it points.
      redirect: streamed ? 'error' : 'manual',
      ...(streamed ? { duplex: 'half' } : {}),
    } as RequestInit);
    const body = response.body;
    return {
      status: response.status,
      headers: headersOf(response, decodedByFetch(response, req.method)),
      body: body === null ? EMPTY : iterate(body),
      cancel: () => void body?.cancel().catch(() => {}),
    };
  };
  return {
    request,
    close: async () => {
      closed = true;
    },
  };
}
