import { systemClock, type Clock } from '../_internal/clock.js';
import { expected, fn, parseOptions, positiveInteger, positiveNumber, timerMs, v } from '../_internal/validate.js';
import { headerBytes, isHeaderName, isHeaderValue, isToken, withoutHopByHop } from './_headers.js';
import { validHost } from './_host.js';
import { cidrMatcher, isIp, normaliseAddress, parseCidr } from './_ip.js';
import { joinPath, toBase } from './_path.js';
import type { FetchLike } from './httpWorker.js';

/** Decides whether a peer address belongs to a proxy whose forwarding headers may be believed. */
export type TrustProxy = readonly string[] | ((address: string) => boolean);

/** What `onError` sees when the proxy answers with an error of its own. */
export interface ProxyErrorState {
  /** The status sent to the client: 400, 431, 499, 502, 504 or 500. */
  status: number;
  /** The original error, for server logs (absent for refused requests). */
  error?: unknown;
  /** The URL that was (or would have been) called, when known. */
  url?: string;
  request: Request;
}

/** Options of `createProxy`. */
export interface ProxyOptions {
  /** Base URL requests are forwarded to; request paths are appended to its path. */
  target: string | URL;
  /**
   * Label put in error bodies as `target`, so clients can tell routes apart without learning
   * internal URLs.
   * @default 'upstream'
   */
  name?: string;
  /**
   * Longest wait on the upstream before its response headers arrive, then 504: to connect, to take
   * each chunk of the request body, and from the body's end (or the start, without one) to the
   * headers. Time spent waiting for the client's upload does not count; the response body then
   * streams unbounded.
   * @default 30_000
   */
  timeoutMs?: number;
  /**
   * Peers (IPs or CIDRs, IPv4 and IPv6, or a predicate) whose `X-Forwarded-*` and `Forwarded`
   * headers are kept and appended to; from anyone else they are replaced.
   * @default [] (trust no one)
   */
  trustProxy?: TrustProxy;
  /** Also send an RFC 7239 `Forwarded` header. @default false */
  forwarded?: boolean;
  /** Largest request header block (sum of `name: value\r\n`) before answering 431. @default 16_384 */
  maxHeaderBytes?: number;
  /** Called for every error answer, with the original error for server logs. */
  onError?: (state: ProxyErrorState) => void;
  /** @default globalThis.fetch */
  fetch?: FetchLike;
  /** Time source for the timeout. @default systemClock */
  clock?: Clock;
}

/** Per-request inputs that the `Request` itself cannot carry. */
export interface ProxyHandleInit {
  /**
   * Path and query to forward, appended to the target's path. Pass the raw request target (e.g.
   * Node's `req.url`) so checks see what the client sent; a `Request` URL is already normalised.
   * @default the request URL's path and query
   */
  path?: string;
  /** The connecting peer's IP address; sets `X-Forwarded-For` and decides trust. */
  clientAddress?: string | undefined;
  /** Aborted when the client goes away. @default request.signal */
  signal?: AbortSignal;
}

/** A streaming reverse proxy to one target. */
export interface Proxy {
  /** The label used as `target` in error bodies. */
  readonly name: string;
  /** Forwards one request and resolves with the upstream's response, or an error response. Never rejects. */
  handle(request: Request, init?: ProxyHandleInit): Promise<Response>;
}

const optionsSchema = v.object({
  target: expected<string | URL>('an absolute http(s) URL without credentials, query or fragment', (v) => {
    if (typeof v !== 'string' && !(v instanceof URL)) return false;
    if (!URL.canParse(String(v))) return false;
    const url = new URL(String(v));
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.username === '' &&
      url.password === '' &&
      url.search === '' &&
      url.hash === ''
    );
  }),
  name: expected<string>('a non-empty string', (v) => typeof v === 'string' && v.length > 0).optional(),
  timeoutMs: timerMs.optional(),
  trustProxy: expected<TrustProxy>(
    'a list of IPs/CIDRs or a function',
    (v) =>
      typeof v === 'function' ||
      (Array.isArray(v) && v.every((entry) => typeof entry === 'string' && parseCidr(entry) !== undefined)),
  ).optional(),
  forwarded: v.boolean().optional(),
  maxHeaderBytes: positiveInteger.optional(),
  onError: fn<ProxyOptions['onError']>().optional(),
  fetch: fn<FetchLike>().optional(),
  clock: v.any().optional(),
});

const MESSAGES: Record<number, string> = {
  400: 'Bad request',
  431: 'Request header fields too large',
  499: 'Client closed request',
  500: 'Proxy error',
  502: 'Upstream unreachable',
  504: 'Upstream timed out',
};

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
// Codings that fetch decodes by specification; the client must not be told the body is encoded.
const FETCH_DECODED = new Set(['gzip', 'x-gzip', 'deflate', 'br', 'identity']);
// Fetch sets Host for the target; Expect is handled by the server in front and rejected by undici.
const REQUEST_DROP = new Set(['host', 'expect']);
// Headers that upstreams and frameworks read as the client's address, the original host or the
// original path (IIS/Symfony/Laminas honour X-Original-URL and X-Rewrite-URL as the route); only a
// trusted proxy may send them.
const FORWARDING = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-path',
  'x-forwarded-server',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'x-original-forwarded-for',
  'x-original-url',
  'x-rewrite-url',
  'x-forwarded-scheme',
  'x-forwarded-ssl',
  'x-forwarded-uri',
  'x-host',
  'x-cluster-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
];

function quoteIfNeeded(value: string): string {
  return isToken(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

function forwardedFor(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  return address.includes(':') ? `"[${address}]"` : address;
}

function decodedByFetch(response: Response, method: string): boolean {
  const coding = response.headers.get('content-encoding');
  if (coding === null || method === 'HEAD' || NULL_BODY_STATUSES.has(response.status)) return false;
  return coding.split(',').every((token) => FETCH_DECODED.has(token.trim().toLowerCase()));
}

/** Wraps a body so `done` runs exactly once when it ends, fails or is cancelled. */
function guardBody(body: ReadableStream<Uint8Array>, done: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const chunk = await reader.read();
          if (chunk.done) {
            done();
            controller.close();
          } else {
            controller.enqueue(chunk.value);
          }
        } catch (error) {
          done();
          controller.error(error);
        }
      },
      async cancel(reason) {
        done();
        await reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Passes a request body on chunk by chunk (no read-ahead), telling `waitingOn` whom the proxy is
 * waiting for: the client while a read is pending, the upstream once it has a chunk to take or
 * the body has ended.
 */
function meteredBody(
  body: ReadableStream<Uint8Array>,
  waitingOn: (party: 'client' | 'upstream') => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        waitingOn('client');
        const chunk = await reader.read();
        waitingOn('upstream');
        if (chunk.done) controller.close();
        else controller.enqueue(chunk.value);
      },
      async cancel(reason) {
        await reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

/**
 * Creates a reverse proxy to one target on web-standard `Request`/`Response`.
 *
 * It streams bodies both ways, refuses (400) any path that could leave the target's base path or
 * origin instead of normalising it, strips hop-by-hop headers in both directions, sets
 * `X-Forwarded-*` (and `Forwarded` when asked) while believing incoming ones only from trusted
 * proxies, and maps failures to 502 (unreachable), 504 (timeout) or 500 with a body of
 * `{ error, target }` that names the route's label, never its URL.
 *
 * @example
 * const users = createProxy({ target: 'http://users.internal/v1', name: 'users', timeoutMs: 5_000 });
 * const response = await users.handle(request, { path: '/123?fields=name', clientAddress: '203.0.113.7' });
 */
export function createProxy(options: ProxyOptions): Proxy {
  parseOptions(optionsSchema, options, 'createProxy');
  const base = toBase(options.target);
  const name = options.name ?? 'upstream';
  const timeoutMs = options.timeoutMs ?? 30_000;
  const forwarded = options.forwarded ?? false;
  const maxHeaderBytes = options.maxHeaderBytes ?? 16_384;
  const clock = options.clock ?? systemClock;
  const trustProxy = options.trustProxy ?? [];
  const isTrusted = typeof trustProxy === 'function' ? trustProxy : cidrMatcher(trustProxy);

  const fail = (status: number, request: Request, error?: unknown, url?: string): Response => {
    try {
      options.onError?.({ status, request, ...(error === undefined ? {} : { error }), ...(url === undefined ? {} : { url }) });
    } catch {
      // A logging hook must not change the answer.
    }
    return new Response(JSON.stringify({ error: MESSAGES[status], target: name }), {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    });
  };

  const outgoingHeaders = (request: Request, client: string | undefined): Headers | undefined => {
    let valid = true;
    request.headers.forEach((value, key) => {
      if (!isHeaderName(key) || !isHeaderValue(value)) valid = false;
    });
    if (!valid) return undefined;
    const trusted = client !== undefined && isTrusted(client);
    const incoming = request.headers;
    const headers = withoutHopByHop(incoming, REQUEST_DROP);
    const url = new URL(request.url);
    // A crafted Host is left out rather than forwarded: upstreams build links and redirects from it.
    const host = incoming.has('host') ? validHost(incoming.get('host')) : validHost(url.host);
    const proto = url.protocol.slice(0, -1);
    const prior = (key: string) => (trusted ? incoming.get(key) : null);
    if (!trusted) for (const key of FORWARDING) headers.delete(key);

    const chain = [prior('x-forwarded-for'), client].filter((part): part is string => part !== null && part !== undefined);
    if (chain.length > 0) headers.set('x-forwarded-for', chain.join(', '));
    const forwardedHost = prior('x-forwarded-host') ?? host;
    if (forwardedHost !== undefined) headers.set('x-forwarded-host', forwardedHost);
    headers.set('x-forwarded-proto', prior('x-forwarded-proto') ?? proto);
    if (forwarded) {
      const element = `for=${forwardedFor(client)}${host === undefined ? '' : `;host=${quoteIfNeeded(host)}`};proto=${proto}`;
      const before = prior('forwarded');
      headers.set('forwarded', before === null ? element : `${before}, ${element}`);
    }
    return headers;
  };

  const handle = async (request: Request, init: ProxyHandleInit = {}): Promise<Response> => {
    const url = joinPath(base, init.path ?? pathOf(request.url));
    if (url === undefined) return fail(400, request);
    const href = url.href;
    if (headerBytes(request.headers) > maxHeaderBytes) return fail(431, request, undefined, href);
    const address = init.clientAddress === undefined ? undefined : normaliseAddress(init.clientAddress);
    const headers = outgoingHeaders(request, address !== undefined && isIp(address) ? address : undefined);
    if (headers === undefined) return fail(400, request, undefined, href);

    const clientSignal = init.signal ?? request.signal;
    if (clientSignal.aborted) return fail(499, request, clientSignal.reason, href);
    const controller = new AbortController();
    let timedOut = false;
    let released = false;
    // The timer runs only while the proxy waits on the upstream before its response headers:
    // connecting, taking the next chunk of the upload, and from the upload's end to the headers.
    // Waiting for a slow client to send its body is not the upstream's delay.
    let answered = false;
    let timer: unknown;
    const onTimeout = () => {
      timedOut = true;
      controller.abort(new DOMException('Upstream timed out', 'TimeoutError'));
    };
    const stopTimer = () => {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    };
    const waitingOn = (party: 'client' | 'upstream') => {
      stopTimer();
      if (party === 'upstream' && !answered) timer = clock.setTimeout(onTimeout, timeoutMs);
    };
    waitingOn('upstream');
    // AbortSignal.any holds its sources weakly, so nothing needs removing when the body ends and
    // the body can be handed on untouched; without it, a listener is removed when the body ends.
    const linked = typeof AbortSignal.any === 'function';
    const signal = linked ? AbortSignal.any([controller.signal, clientSignal]) : controller.signal;
    const onClientAbort = () => controller.abort(clientSignal.reason);
    if (!linked) clientSignal.addEventListener('abort', onClientAbort, { once: true });
    const release = () => {
      if (released) return;
      released = true;
      answered = true;
      stopTimer();
      if (!linked) clientSignal.removeEventListener('abort', onClientAbort);
    };

    const hasBody = request.body !== null && request.method !== 'GET' && request.method !== 'HEAD';
    let upstream: Response;
    try {
      upstream = await (options.fetch ?? globalThis.fetch)(href, {
        method: request.method,
        headers,
        body: hasBody ? meteredBody(request.body, waitingOn) : null,
        signal,
        // A proxy passes redirects to its client; following them could reach another origin. With
        // a streamed body, though, undici tees the body for every mode but 'error' and keeps the
        // unread branch, i.e. the whole upload, in memory (nodejs/undici#4058); a redirect answer
        // to an upload therefore becomes a 502.
        redirect: hasBody ? 'error' : 'manual',
        ...(hasBody ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (error) {
      release();
      if (timedOut) return fail(504, request, error, href);
      if (clientSignal.aborted) return fail(499, request, error, href);
      // fetch reports refused, reset and DNS failures as a TypeError ("fetch failed").
      return fail(error instanceof TypeError ? 502 : 500, request, error, href);
    }
    answered = true;
    stopTimer();

    try {
      const decoded = decodedByFetch(upstream, request.method);
      const responseHeaders = withoutHopByHop(
        upstream.headers,
        decoded ? new Set(['content-encoding', 'content-length']) : undefined,
      );
      const nullBody = NULL_BODY_STATUSES.has(upstream.status) || upstream.body === null;
      if (nullBody) {
        release();
        await upstream.body?.cancel().catch(() => {});
      }
      if (!nullBody && linked) release();
      const body = nullBody ? null : linked ? upstream.body : guardBody(upstream.body!, release);
      return new Response(body, {
        status: upstream.status,
        statusText: upstream.statusText,
        headers: responseHeaders,
      });
    } catch (error) {
      release();
      controller.abort();
      return fail(500, request, error, href);
    }
  };

  return {
    name,
    handle: (request, init) => handle(request, init).catch((error: unknown) => fail(500, request, error)),
  };
}
