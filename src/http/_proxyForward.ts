import type { AbortSource } from '../_internal/abortSource.js';
import { callHook } from '../_internal/callHook.js';
import type { Clock } from '../_internal/clock.js';
import { createPhaseTimer, type PhaseTimer } from '../_internal/phaseTimer.js';
import { HOP_BY_HOP, isHeaderName, isHeaderValue, isToken, nominated } from './_headers.js';
import { validHost } from './_host.js';
import { isIp, normaliseAddress } from './_ip.js';
import { joinPath, type Base } from './_path.js';
import { LazySignalRequest } from './transport/_request.js';
import { streamOf, type BodySink } from './transport/_stream.js';
import type { Transport, TransportHeaders, TransportResponse } from './transport/types.js';

/** One client request, in the shape both the web and the Node front ends can produce cheaply. */
export interface ForwardInput {
  /** Upper-case method. */
  method: string;
  /** The raw path and query to forward. */
  path: string;
  /** Lower-case names, repeated fields combined. */
  headers: Record<string, string>;
  /** The client's Host header as sent; undefined when it sent none (HTTP/1.0). */
  host: string | undefined;
  proto: string;
  clientAddress: string | undefined;
  body: AsyncIterable<Uint8Array> | null;
  /** The request as a web `Request`, built only when `on.error` reads it. */
  request(): Request;
}

/** The answer to send back: the upstream's, or the proxy's own error. */
export interface ForwardOutput {
  status: number;
  headers: Record<string, string | string[]>;
  body: AsyncIterable<Uint8Array> | string | null;
  /** Releases an upstream body that will not be read to its end; never throws. */
  cancel(): void;
}

/** What `on.error` receives. `request` is built on first access. */
export interface ForwardErrorState {
  status: number;
  error?: unknown;
  url?: string;
  readonly request: Request;
}

export interface ForwardConfig {
  base: Base;
  name: string;
  timeoutMs: number;
  forwarded: boolean;
  maxHeaderBytes: number;
  clock: Clock;
  isTrusted: (address: string) => boolean;
  /** Headers a client's `Connection` field may not remove. */
  protect: ReadonlySet<string>;
  on: { error?: ((state: ForwardErrorState) => void) | undefined };
  transport: () => Transport;
}

/**
 * Writes the answer's status and headers and returns where its body goes (a Node response). When
 * `empty`, the answer has no body to pass on (204, 205, 304, HEAD): whatever the upstream still
 * sends goes to a sink that drops it.
 */
export type ForwardSink = (head: { status: number; headers: Record<string, string | string[]>; empty: boolean }) => BodySink;

/**
 * Forwards one request. The caller owns `abort` and aborts it when its client goes away; the
 * proxy's timeout aborts it too. Never rejects.
 *
 * With a `sink`, on a transport that can stream (undici's), the upstream's answer is written into
 * it as it arrives and the promise resolves with `null` once it is finished; an error answer of
 * the proxy's own (or any answer, on other transports) is still returned for the caller to write.
 */
export interface Forward {
  (input: ForwardInput, abort: AbortSource): Promise<ForwardOutput>;
  (input: ForwardInput, abort: AbortSource, sink: ForwardSink): Promise<ForwardOutput | null>;
}

const MESSAGES: Record<number, string> = {
  400: 'Bad request',
  431: 'Request header fields too large',
  499: 'Client closed request',
  500: 'Proxy error',
  502: 'Upstream unreachable',
  504: 'Upstream timed out',
};

// The transport sets Host for the target; Expect is handled by the server in front.
const REQUEST_DROP: ReadonlySet<string> = new Set(['host', 'expect']);

/**
 * Headers that upstreams and frameworks read as the client's address, the original host or the
 * original path (IIS/Symfony/Laminas honour X-Original-URL and X-Rewrite-URL as the route); only a
 * trusted proxy may send them.
 */
export const FORWARDING: readonly string[] = [
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

const NOOP = () => {};

/** An upstream answer that is not valid HTTP (RFC 9110 §15.6.3), answered with 502. */
class InvalidAnswer extends Error {}

function invalidAnswer(status: number): InvalidAnswer {
  return new InvalidAnswer(`Invalid upstream response (status ${status})`);
}

function quoteIfNeeded(value: string): string {
  return isToken(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

function forwardedFor(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  return address.includes(':') ? `"[${address}]"` : address;
}


/** How the request side treats a header name before any per-request rule. */
const enum Kind {
  /** Hop-by-hop, `Host` or `Expect`: never forwarded. */
  Drop = 1,
  /** A forwarding header: kept from a trusted peer only. */
  Forwarding = 2,
}

const REQUEST_KINDS: ReadonlyMap<string, Kind> = new Map<string, Kind>([
  ...[...HOP_BY_HOP, ...REQUEST_DROP].map((name) => [name, Kind.Drop] as const),
  ...FORWARDING.map((name) => [name, Kind.Forwarding] as const),
]);

/**
 * The answer's headers without the hop-by-hop ones (and those its `Connection` names), or
 * undefined when a name or value is not valid HTTP; one pass, checking as it copies.
 */
function responseHeaders(headers: TransportHeaders): Record<string, string | string[]> | undefined {
  const named = nominated(headers.connection);
  const out = Object.create(null) as Record<string, string | string[]>;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (!isHeaderName(name)) return undefined;
    if (typeof value === 'string') {
      if (!isHeaderValue(value)) return undefined;
    } else if (!value.every(isHeaderValue)) {
      return undefined;
    }
    if (HOP_BY_HOP.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  // RFC 9112 §6.3: with Transfer-Encoding, Content-Length is wrong by definition.
  if (headers['transfer-encoding'] !== undefined) delete out['content-length'];
  return out;
}

/**
 * Passes a request body on chunk by chunk (no read-ahead), running the upstream's timer only
 * while the proxy waits for the upstream: paused while a read from the client is pending, running
 * once it has a chunk to hand on or the body has ended. It never ends the client's body early: a
 * Node request destroyed here would take the client's connection, and the answer, with it.
 */
async function* metered(body: AsyncIterable<Uint8Array>, timer: PhaseTimer): AsyncGenerator<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]();
  for (;;) {
    timer.pause();
    const chunk = await iterator.next();
    timer.run();
    if (chunk.done) return;
    yield chunk.value;
  }
}

/** The events of a Node `Readable` (an `IncomingMessage`) that tell whom the proxy waits for. */
interface NodeBody {
  on(event: 'pause' | 'resume' | 'end', listener: () => void): unknown;
  off(event: 'pause' | 'resume' | 'end', listener: () => void): unknown;
  pipe(...args: never[]): unknown;
}

function isNodeBody(body: AsyncIterable<Uint8Array>): body is AsyncIterable<Uint8Array> & NodeBody {
  const candidate = body as Partial<NodeBody>;
  return typeof candidate.on === 'function' && typeof candidate.off === 'function' && typeof candidate.pipe === 'function';
}

/**
 * Runs the timer while a Node request body handed to undici as is waits on the upstream: undici
 * reads it in flowing mode and pauses it when the upstream's socket is full, so `resume` means
 * the proxy waits for the client and `pause` or `end` that it waits for the upstream. Cheaper
 * than `metered`: no async iterator (whose `read()` joins buffered chunks into copies) and no
 * generator step per chunk. Returns the function that stops watching.
 */
function meterNodeBody(body: NodeBody, timer: PhaseTimer): () => void {
  const client = () => timer.pause();
  const upstream = () => timer.run();
  body.on('resume', client);
  body.on('pause', upstream);
  body.on('end', upstream);
  return () => {
    body.off('resume', client);
    body.off('pause', upstream);
    body.off('end', upstream);
  };
}

/** Remembers the last answer of a pure check of one string: clients on one connection repeat themselves. */
function lastOf<T>(check: (value: string) => T): (value: string) => T {
  let last: string | undefined;
  let answer: T;
  return (value) => {
    if (value !== last) {
      answer = check(value);
      last = value;
    }
    return answer;
  };
}

/** Builds the forwarding step of a proxy; see `createProxy` for the rules it applies. */
export function createForward(config: ForwardConfig): Forward {
  const { base, name, timeoutMs, forwarded, maxHeaderBytes, clock, protect, on } = config;
  const errorBody = (status: number) => JSON.stringify({ error: MESSAGES[status], target: name });
  // Checks of the peer address and Host, which repeat on every request of a connection.
  const clientOf = lastOf((raw) => {
    const address = normaliseAddress(raw);
    return isIp(address) ? address : undefined;
  });
  const isTrusted = lastOf(config.isTrusted);
  const hostOf = lastOf(validHost);

  const fail = (status: number, input: ForwardInput, error?: unknown, url?: string): ForwardOutput => {
    if (on.error !== undefined) {
      let request: Request | undefined;
      callHook(on.error, {
        status,
        ...(error === undefined ? {} : { error }),
        ...(url === undefined ? {} : { url }),
        get request() {
          request ??= input.request();
          return request;
        },
      });
    }
    return {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      body: errorBody(status),
      cancel: NOOP,
    };
  };

  /**
   * The headers to send, built in one pass over the client's: sizes them, checks every name and
   * value, and leaves out hop-by-hop headers, those `Connection` names (unless protected) and,
   * from an untrusted peer, the forwarding ones. A number is the status to refuse with instead.
   */
  const outgoingHeaders = (input: ForwardInput, client: string | undefined, hasBody: boolean): Record<string, string> | number => {
    const incoming = input.headers;
    const trusted = client !== undefined && isTrusted(client);
    const named = nominated(incoming.connection);
    const headers = Object.create(null) as Record<string, string>;
    let bytes = 0;
    let valid = true;
    for (const key in incoming) {
      const value = incoming[key]!;
      bytes += key.length + value.length + 4;
      if (!isHeaderName(key) || !isHeaderValue(value)) valid = false;
      const kind = REQUEST_KINDS.get(key);
      if (kind === Kind.Drop || (kind === Kind.Forwarding && !trusted)) continue;
      if (named.has(key) && !protect.has(key)) continue;
      headers[key] = value;
    }
    if (bytes > maxHeaderBytes) return 431;
    if (!valid) return 400;
    // RFC 9112 §6.3: with Transfer-Encoding, Content-Length is wrong by definition and a proxy must
    // remove it; without a body there is nothing for it to describe.
    if (!hasBody || incoming['transfer-encoding'] !== undefined) delete headers['content-length'];
    // A crafted Host is left out rather than forwarded: upstreams build links and redirects from
    // it. No Host (HTTP/1.0) means no forwarded host: nothing is invented.
    const host = input.host === undefined ? undefined : hostOf(input.host);
    const proto = input.proto;
    const prior = (key: string) => (trusted ? incoming[key] : undefined);

    const priorFor = prior('x-forwarded-for');
    const chain = priorFor === undefined ? client : client === undefined ? priorFor : `${priorFor}, ${client}`;
    if (chain !== undefined) headers['x-forwarded-for'] = chain;
    const forwardedHost = prior('x-forwarded-host') ?? host;
    if (forwardedHost !== undefined) headers['x-forwarded-host'] = forwardedHost;
    headers['x-forwarded-proto'] = prior('x-forwarded-proto') ?? proto;
    if (forwarded) {
      const element = `for=${forwardedFor(client)}${host === undefined ? '' : `;host=${quoteIfNeeded(host)}`};proto=${proto}`;
      const before = prior('forwarded');
      headers.forwarded = before === undefined ? element : `${before}, ${element}`;
    }
    return headers;
  };

  /**
   * The status and headers to pass on, or undefined when the answer is not valid HTTP
   * (RFC 9110 §15.6.3: a proxy that cannot pass an answer on answers 502); `empty` when its body
   * must not be passed on.
   */
  const head = (status: number, upstreamHeaders: TransportHeaders, method: string) => {
    const headers = Number.isInteger(status) && status >= 200 && status <= 599 ? responseHeaders(upstreamHeaders) : undefined;
    if (headers === undefined) return undefined;
    // 204, 205 and 304 never have content (RFC 9110 §15.3.5, §15.3.6, §15.4.5); a Content-Length
    // copied from the upstream would make a keep-alive client wait for bytes that never come.
    // For 205 the RFC's own way to say so is `Content-Length: 0`. A HEAD answer keeps its
    // Content-Length: it describes the GET answer, which is what HEAD asks for (§9.3.2).
    const nullStatus = status === 204 || status === 205 || status === 304;
    if (nullStatus) delete headers['content-length'];
    if (status === 205) headers['content-length'] = '0';
    return { status, headers, empty: nullStatus || method === 'HEAD' };
  };

  const answer = (upstream: TransportResponse, input: ForwardInput, href: string): ForwardOutput => {
    const checked = head(upstream.status, upstream.headers, input.method);
    if (checked === undefined) {
      upstream.cancel();
      return fail(502, input, invalidAnswer(upstream.status), href);
    }
    if (checked.empty) {
      upstream.cancel();
      return { status: checked.status, headers: checked.headers, body: null, cancel: NOOP };
    }
    return { status: checked.status, headers: checked.headers, body: upstream.body, cancel: upstream.cancel };
  };

  /** What a failure before the answer's headers means for the client. */
  const failed = (error: unknown, timedOut: boolean, abort: AbortSource, input: ForwardInput, href: string): ForwardOutput => {
    if (timedOut) return fail(504, input, error, href);
    if (abort.aborted) return fail(499, input, error, href);
    // Transports reject with a TypeError for refused, reset and DNS failures and non-HTTP answers.
    return fail(error instanceof TypeError ? 502 : 500, input, error, href);
  };

  const forward = async (input: ForwardInput, abort: AbortSource, sink?: ForwardSink): Promise<ForwardOutput | null> => {
    const url = joinPath(base, input.path);
    if (url === undefined) return fail(400, input);
    const href = url.href;
    const client = input.clientAddress === undefined ? undefined : clientOf(input.clientAddress);
    const method = input.method;
    const hasBody = input.body !== null && method !== 'GET' && method !== 'HEAD';
    const headers = outgoingHeaders(input, client, hasBody);
    if (typeof headers === 'number') return fail(headers, input, undefined, href);

    if (abort.aborted) return fail(499, input, abort.reason, href);
    // The timer runs only while the proxy waits on the upstream before its response headers:
    // connecting, taking the next chunk of the upload, and from the upload's end to the headers.
    // Waiting for a slow client to send its body is not the upstream's delay.
    let timedOut = false;
    const timer = createPhaseTimer(clock, timeoutMs, () => {
      timedOut = true;
      abort.abort(new DOMException('Upstream timed out', 'TimeoutError'));
    });
    timer.run();
    const transport = config.transport();
    const stream = streamOf(transport);
    // A transport that can stream (undici) also reads a Node request body in flowing mode, with
    // pause/resume for backpressure: give it the body itself, watched by its events. Not a
    // chunked one: undici would frame a body that has already arrived whole with a Content-Length
    // of its own, where the proxy forwards the client's framing.
    const nodeBody =
      hasBody && stream !== undefined && input.headers['transfer-encoding'] === undefined && isNodeBody(input.body!)
        ? input.body
        : undefined;
    const unwatch = nodeBody === undefined ? NOOP : meterNodeBody(nodeBody, timer);
    const body = !hasBody ? null : nodeBody ?? metered(input.body!, timer);
    // Its signal is made only if the transport reads it; undici cancels through `abort` itself.
    const request = new LazySignalRequest(url, method, headers, body, abort, abort);

    const send = sink === undefined ? undefined : stream;
    if (send !== undefined) {
      let answered = false;
      try {
        await send(request, (upstream) => {
          timer.stop();
          unwatch();
          const checked = head(upstream.status, upstream.headers, method);
          if (checked === undefined) throw invalidAnswer(upstream.status);
          const body = sink!(checked);
          answered = true;
          return body;
        });
      } catch (error) {
        timer.stop();
        unwatch();
        // After the headers, the transport has destroyed the sink: the client sees the cut.
        if (answered) return null;
        if (error instanceof InvalidAnswer) return fail(502, input, error, href);
        return failed(error, timedOut, abort, input, href);
      }
      return null;
    }

    let upstream: TransportResponse;
    try {
      upstream = await transport.request(request);
    } catch (error) {
      timer.stop();
      unwatch();
      return failed(error, timedOut, abort, input, href);
    }
    timer.stop();
    unwatch();
    try {
      return answer(upstream, input, href);
    } catch (error) {
      upstream.cancel();
      return fail(500, input, error, href);
    }
  };
  return forward as Forward;
}

/**
 * Where a proxy keeps its forwarding step. A registered symbol rather than a module-level map:
 * `toNodeHandler` (switchyard/node) and `createProxy` (switchyard/http, which Node resolves to a
 * build of its own) are separate bundles, so a map in one would be empty in the other. The
 * version in the key keeps a second copy of the package with another `Forward` shape apart.
 */
const FORWARD = Symbol.for('switchyard.proxy.forward.v2');

/** Remembers the forwarding step behind a proxy, so the Node adapter can skip web Request/Response. */
export function registerForward(proxy: object, forward: Forward): void {
  Object.defineProperty(proxy, FORWARD, { value: forward });
}

/** The forwarding step behind a proxy made by `createProxy`, if it is one. */
export function forwardOf(proxy: object): Forward | undefined {
  const forward = (proxy as { [FORWARD]?: unknown })[FORWARD];
  return typeof forward === 'function' ? (forward as Forward) : undefined;
}
