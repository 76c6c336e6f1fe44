import { AbortSource } from '../_internal/abortSource.js';
import { systemClock, type Clock } from '../_internal/clock.js';
import { expected, fn, parseOptions, positiveInteger, timerMs, v } from '../_internal/validate.js';
import { isHeaderName, recordOf } from './_headers.js';
import { hasInventedHost } from './_invented.js';
import { cidrMatcher, parseCidr } from './_ip.js';
import { toBase } from './_path.js';
import { createForward, FORWARDING, registerForward, type ForwardOutput } from './_proxyForward.js';
import { iterate } from './transport/_streams.js';
import { defaultTransport } from './transport/default.js';
import { fetchTransport, type FetchLike } from './transport/fetch.js';
import type { Transport } from './transport/types.js';

/** Decides whether a peer address belongs to a proxy whose forwarding headers may be believed. */
export type TrustProxy = readonly string[] | ((address: string) => boolean);

/** What `on.error` sees when the proxy answers with an error of its own. */
export interface ProxyErrorState {
  /** The status sent to the client: 400, 431, 499, 502, 504 or 500. */
  status: number;
  /** The original error, for server logs (absent for refused requests). */
  error?: unknown;
  /** The URL that was (or would have been) called, when known. */
  url?: string;
  /** The client's request (from `toNodeHandler`, built when first read, without its body). */
  readonly request: Request;
}

/** Observers of a proxy, as `on: {…}` in its options. */
export interface ProxyHooks {
  /** Called for every error answer (400, 431, 499, 502, 504, 500), with the original error for server logs. */
  error?(state: ProxyErrorState): void;
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
  /**
   * Request headers that a client's `Connection` field may not remove, on top of the forwarding
   * headers (`X-Forwarded-*`, `Forwarded`, …), which are always protected. List the headers your
   * trusted front proxy adds (e.g. an authenticated-user header): otherwise a client sending
   * `Connection: close, x-authenticated-user` would have this proxy strip them (RFC 9110 §7.6.1
   * tells a proxy to drop what `Connection` names).
   * @default []
   */
  protectedHeaders?: readonly string[];
  /** Observers; what they throw is dropped, and never changes the answer. */
  on?: ProxyHooks;
  /**
   * How requests are sent; each transport keeps its own connection pool.
   * @default undici (one pool per origin) on Node, `fetch` on other runtimes
   */
  transport?: Transport;
  /** Send through this `fetch` instead of the default transport (ignored when `transport` is set). */
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
  protectedHeaders: expected<readonly string[]>(
    'a list of header names',
    (v) => Array.isArray(v) && v.every((entry) => typeof entry === 'string' && isHeaderName(entry)),
  ).optional(),
  on: v.object({ error: fn<(state: ProxyErrorState) => void>().optional() }).optional(),
  transport: expected<Transport>(
    'a transport (an object with `request` and `close`)',
    (v) => typeof v === 'object' && v !== null && typeof (v as Transport).request === 'function',
  ).optional(),
  fetch: fn<FetchLike>().optional(),
  clock: v.any().optional(),
});

function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

/** The answer as a web `Response`; `done` runs once when its body ends, fails or is cancelled. */
function toResponse(output: ForwardOutput, done: () => void): Response {
  const headers = new Headers();
  for (const name in output.headers) {
    const value = output.headers[name]!;
    if (typeof value === 'string') headers.set(name, value);
    else for (const item of value) headers.append(name, item);
  }
  const init = { status: output.status, headers };
  if (output.body === null || typeof output.body === 'string') {
    done();
    return new Response(output.body, init);
  }
  const iterator = output.body[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const chunk = await iterator.next();
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
      cancel() {
        done();
        output.cancel();
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, init);
}

/**
 * Creates a reverse proxy to one target, answering web-standard `Request`s (and, through
 * `toNodeHandler` from `switchyard/node`, Node requests without a web `Request`/`Response` in
 * between).
 *
 * It streams bodies both ways, refuses (400) any path that could leave the target's base path or
 * origin instead of normalising it, strips hop-by-hop headers in both directions, sets
 * `X-Forwarded-*` (and `Forwarded` when asked) while believing incoming ones only from trusted
 * proxies, and maps failures to 502 (unreachable or an invalid answer), 504 (timeout) or 500 with
 * a body of `{ error, target }` that names the route's label, never its URL.
 *
 * @example
 * const users = createProxy({ target: 'http://users.internal/v1', name: 'users', timeoutMs: 5_000 });
 * const response = await users.handle(request, { path: '/123?fields=name', clientAddress: '203.0.113.7' });
 */
export function createProxy(options: ProxyOptions): Proxy {
  parseOptions(optionsSchema, options, 'createProxy');
  const name = options.name ?? 'upstream';
  const trustProxy = options.trustProxy ?? [];
  const own = options.transport ?? (options.fetch === undefined ? undefined : fetchTransport({ fetch: options.fetch }));
  const forward = createForward({
    base: toBase(options.target),
    name,
    timeoutMs: options.timeoutMs ?? 30_000,
    forwarded: options.forwarded ?? false,
    maxHeaderBytes: options.maxHeaderBytes ?? 16_384,
    clock: options.clock ?? systemClock,
    isTrusted: typeof trustProxy === 'function' ? trustProxy : trustProxy.length === 0 ? () => false : cidrMatcher(trustProxy),
    protect: new Set([...FORWARDING, ...(options.protectedHeaders ?? []).map((header) => header.toLowerCase())]),
    on: { error: options.on?.error },
    transport: () => own ?? defaultTransport(),
  });

  const handle = async (request: Request, init: ProxyHandleInit = {}): Promise<Response> => {
    const url = new URL(request.url);
    const headers = recordOf(request.headers);
    const abort = new AbortSource();
    const clientSignal = init.signal ?? request.signal;
    const onClientAbort = () => abort.abort(clientSignal.reason);
    if (clientSignal.aborted) abort.abort(clientSignal.reason);
    else clientSignal.addEventListener('abort', onClientAbort, { once: true });
    const release = () => clientSignal.removeEventListener('abort', onClientAbort);
    const output = await forward(
      {
        method: request.method,
        path: init.path ?? pathOf(request.url),
        headers,
        // A Request built by toWebRequest for a client that sent no Host has a made-up authority.
        host: headers.host ?? (hasInventedHost(request) ? undefined : url.host),
        proto: url.protocol.slice(0, -1),
        clientAddress: init.clientAddress,
        body: request.body === null ? null : iterate(request.body),
        request: () => request,
      },
      abort,
    );
    try {
      return toResponse(output, release);
    } catch (error) {
      release();
      output.cancel();
      throw error;
    }
  };

  const proxy: Proxy = {
    name,
    handle: (request, init) =>
      handle(request, init).catch(
        () =>
          new Response(JSON.stringify({ error: 'Proxy error', target: name }), {
            status: 500,
            headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
          }),
      ),
  };
  registerForward(proxy, forward);
  return proxy;
}
