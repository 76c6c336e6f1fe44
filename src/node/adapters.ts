import type { IncomingMessage, ServerResponse } from 'node:http';
import { Writable, type Readable } from 'node:stream';
import { AbortSource } from '../_internal/abortSource.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import { validHost } from '../http/_host.js';
import { markInventedHost } from '../http/_invented.js';
import { normaliseAddress } from '../http/_ip.js';
import { forwardOf, type Forward, type ForwardOutput, type ForwardSink } from '../http/_proxyForward.js';
import type { Proxy } from '../http/createProxy.js';

/**
 * The connecting peer's IP address (IPv4-mapped IPv6 shown as IPv4), from the socket, never from
 * a header; pass it as `clientAddress` so the proxy decides trust on what it can verify.
 */
export function clientAddress(req: IncomingMessage): string | undefined {
  const address = req.socket.remoteAddress;
  return address === undefined ? undefined : normaliseAddress(address);
}

/**
 * A pull-based web stream over a Node request: the socket is resumed only while the consumer asks
 * for data (backpressure), and each chunk is handed on as is. (`read()`-based iteration would
 * concatenate buffered chunks into fresh copies.)
 */
function streamOf(req: IncomingMessage): ReadableStream<Uint8Array> {
  let detach = () => {};
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const onData = (chunk: Buffer) => {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        };
        const onEnd = () => {
          detach();
          controller.close();
        };
        const onError = (error: Error) => {
          detach();
          controller.error(error);
        };
        detach = () => {
          req.off('data', onData);
          req.off('end', onEnd);
          req.off('error', onError);
        };
        req.pause();
        req.on('data', onData);
        req.once('end', onEnd);
        req.once('error', onError);
      },
      pull() {
        req.resume();
      },
      cancel() {
        // The upstream stopped reading; discard the rest so the client still gets an answer.
        detach();
        req.resume();
      },
    },
    { highWaterMark: 0 },
  );
}

function invalidRequest(): SwitchyardError {
  return new SwitchyardError('INVALID_INPUT', 'Invalid request header');
}

/**
 * Converts a Node request (node:http, Express's `req`, Fastify's `request.raw`) into a web
 * `Request` whose body streams from the socket without buffering.
 *
 * Give it the response too: its signal then aborts when the client disconnects before the
 * response is finished, which is what releases the upstream call. The URL is normalised by the
 * URL parser, so pass `req.url` as the proxy's `path` to check the raw path. Its host is the Host
 * header only when that is a plain `host[:port]`, else `localhost`. Throws
 * `SwitchyardError('INVALID_INPUT')` for a header the Fetch API refuses (e.g. a control character
 * let through by a lenient parser).
 */
export function toWebRequest(req: IncomingMessage, res?: ServerResponse): Request {
  const headers = webHeadersOf(req);
  const url = urlOf(req);

  const controller = new AbortController();
  const abort = () => controller.abort(new DOMException('The client went away', 'AbortError'));
  if (res !== undefined) {
    res.once('close', () => {
      if (!res.writableFinished) abort();
    });
  } else {
    req.once('close', () => {
      if (!req.complete) abort();
    });
  }
  req.once('error', abort);

  const method = (req.method ?? 'GET').toUpperCase();
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const request = new Request(url, {
    method,
    headers,
    signal: controller.signal,
    ...(hasBody ? { body: streamOf(req), duplex: 'half' } : {}),
  } as RequestInit);
  if (validHost(req.headers.host) === undefined) markInventedHost(request);
  return request;
}

function webHeadersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = req.rawHeaders;
  try {
    for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  } catch {
    // The platform's message quotes the offending value.
    throw invalidRequest();
  }
  return headers;
}

function isEncrypted(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean } | null)?.encrypted === true;
}

function urlOf(req: IncomingMessage, encrypted = isEncrypted(req)): URL {
  // The path is set on a URL whose authority is already fixed, never joined into it as text: a
  // Host such as `a/admin?x=` must not become part of the path.
  const url = new URL(`${encrypted ? 'https' : 'http'}://${validHost(req.headers.host) ?? 'localhost'}`);
  const rawTarget = req.url !== undefined && req.url.startsWith('/') ? req.url : '/';
  // A fragment is never part of a request target; cut it as a URL parser would, rather than let
  // `search` encode it into the query.
  const hashAt = rawTarget.indexOf('#');
  const target = hashAt === -1 ? rawTarget : rawTarget.slice(0, hashAt);
  const queryAt = target.indexOf('?');
  url.pathname = queryAt === -1 ? target : target.slice(0, queryAt);
  url.search = queryAt === -1 ? '' : target.slice(queryAt);
  return url;
}

/**
 * Resolves when `res` emits `event` or closes, whichever comes first (at once if it is already
 * destroyed). A destroyed response never emits `drain` and never calls `end`'s callback, so
 * waiting for either alone would hang once the client has left.
 */
function eventOrClose(res: ServerResponse, event: 'drain' | 'finish'): Promise<void> {
  return new Promise<void>((resolve) => {
    if (res.destroyed) return resolve();
    const done = () => {
      res.off(event, done);
      res.off('close', done);
      resolve();
    };
    res.on(event, done);
    res.on('close', done);
  });
}

/**
 * Writes a web `Response` to a Node response (node:http, Express's `res`, Fastify's `reply.raw`
 * after `reply.hijack()`), streaming the body and waiting for `drain` when the socket is full.
 *
 * Resolves when the response is finished or the client left, even before the call (the body is
 * then cancelled, which releases the upstream); rejects when the body stream fails mid-way, after
 * destroying `res`.
 */
export async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  if (res.destroyed || res.writableEnded) {
    await response.body?.cancel().catch(() => {});
    return;
  }
  res.statusCode = response.status;
  if (response.statusText !== '') res.statusMessage = response.statusText;
  response.headers.forEach((value, key) => {
    if (key !== 'set-cookie') res.setHeader(key, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);

  if (response.body !== null) {
    const reader = response.body.getReader();
    // Cancelling on close also ends a read that waits on a silent upstream, releasing it at once.
    const cancel = () => void reader.cancel().catch(() => {});
    res.once('close', cancel);
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (res.destroyed) return;
          res.destroy(error instanceof Error ? error : undefined);
          throw error;
        }
        if (chunk.done) break;
        if (!res.write(chunk.value)) await eventOrClose(res, 'drain');
      }
    } finally {
      res.off('close', cancel);
    }
  }
  if (res.destroyed) return;
  const finished = eventOrClose(res, 'finish');
  res.end();
  await finished;
}

/** Options of `toNodeHandler`. */
export interface NodeHandlerOptions {
  /**
   * The raw path and query to forward. Mounted under a prefix, return the part after it.
   * @default req.url (Express sets it relative to the mount path)
   */
  path?: (req: IncomingMessage) => string;
}

/** Request header fields by lower-case name, repeated ones combined (`cookie` with `; `, as RFC 9113 §8.2.3 does). */
function headersOf(req: IncomingMessage): Record<string, string> {
  const headers = Object.create(null) as Record<string, string>;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const before = headers[name];
    headers[name] = before === undefined ? value : `${before}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return headers;
}

/**
 * The client's request as a web `Request` without its body, for the proxy's `on.error`. Whether
 * the connection is TLS is read beforehand: a request body that undici gave up on has been
 * detached from its socket by the time the hook reads this.
 */
function describe(req: IncomingMessage, encrypted: boolean): Request {
  const method = (req.method ?? 'GET').toUpperCase();
  try {
    return new Request(urlOf(req, encrypted), { method, headers: webHeadersOf(req) });
  } catch {
    return new Request(urlOf(req, encrypted), { method });
  }
}

/**
 * Writes the proxy's answer straight to a Node response, with backpressure. When the client is
 * still uploading (the upstream answered early), the answer says `Connection: close` and Node
 * closes the connection after it: the rest of the upload will never be read.
 */
async function writeOutput(req: IncomingMessage, res: ServerResponse, output: ForwardOutput): Promise<void> {
  if (res.destroyed || res.writableEnded) {
    output.cancel();
    return;
  }
  const headers = output.headers;
  if (!req.complete) headers.connection = 'close';
  // One call with the whole record: Node then stores it as is instead of header by header.
  res.writeHead(output.status, headers);
  const body = output.body;
  if (body === null || typeof body === 'string') {
    const finished = eventOrClose(res, 'finish');
    res.end(body ?? undefined);
    return finished;
  }
  if (isReadable(body)) return pipeReadable(body, res);
  try {
    for await (const chunk of body) {
      if (!res.write(chunk)) await eventOrClose(res, 'drain');
      if (res.destroyed) break;
    }
  } catch (error) {
    // The upstream body failed mid-way (or was aborted because the client left): the client must
    // not mistake a truncated body for a whole one.
    if (!res.destroyed) res.destroy(error instanceof Error ? error : undefined);
    return;
  }
  if (res.destroyed) return;
  const finished = eventOrClose(res, 'finish');
  res.end();
  await finished;
}

function isReadable(body: AsyncIterable<Uint8Array>): body is AsyncIterable<Uint8Array> & Readable {
  return typeof (body as Partial<Readable>).pipe === 'function' && typeof (body as Partial<Readable>).on === 'function';
}

/**
 * Pipes a Node stream body (undici's) into the response: the cheapest path, with `pipe`'s own
 * backpressure. Settles when the response is finished or closed; a body that fails mid-way
 * destroys the response, so the client never takes a truncated body for a whole one.
 */
function pipeReadable(body: Readable, res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    // The error listener stays: the body may still fail after the client left (it is aborted then).
    const done = () => {
      res.off('finish', done);
      res.off('close', done);
      resolve();
    };
    const onError = (error: Error) => {
      if (!res.destroyed) res.destroy(error);
      done();
    };
    body.once('error', onError);
    res.once('finish', done);
    res.once('close', done);
    body.pipe(res);
  });
}

function clientGone(): DOMException {
  return new DOMException('The client went away', 'AbortError');
}

/**
 * Writes the answer's status and headers and hands `res` to the transport for the body. When the
 * client is still uploading (the upstream answered early), the answer says `Connection: close`
 * and Node closes the connection after it: the rest of the upload will never be read.
 */
function sinkOf(req: IncomingMessage, res: ServerResponse): ForwardSink {
  return ({ status, headers, empty }) => {
    if (res.destroyed || res.writableEnded) throw clientGone();
    if (!req.complete) headers.connection = 'close';
    // One call with the whole record: Node then stores it as is instead of header by header.
    res.writeHead(status, headers);
    if (!empty) return res;
    res.end();
    return new Writable({ write: (_chunk, _encoding, done) => done() });
  };
}

/** The Node handler over a proxy's forwarding step: no web Request/Response in between. */
function forwardingHandler(
  forward: Forward,
  options: NodeHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const abort = new AbortSource();
    const onClose = () => {
      if (!res.writableFinished) abort.abort(clientGone());
    };
    res.once('close', onClose);
    try {
      const method = (req.method ?? 'GET').toUpperCase();
      const headers = headersOf(req);
      const address = clientAddress(req);
      const encrypted = isEncrypted(req);
      // On the undici transport the answer streams straight into `res` (null when it did).
      const output = await forward(
        {
          method,
          path: options.path === undefined ? req.url ?? '/' : options.path(req),
          headers,
          host: headers.host,
          proto: encrypted ? 'https' : 'http',
          clientAddress: address,
          body: method === 'GET' || method === 'HEAD' ? null : req,
          request: () => describe(req, encrypted),
        },
        abort,
        sinkOf(req, res),
      );
      if (output !== null) await writeOutput(req, res, output);
      else if (!res.writableFinished && !res.destroyed) await eventOrClose(res, 'finish');
    } finally {
      res.off('close', onClose);
    }
  };
}

/**
 * Serves a proxy from node:http, Express or Fastify: raw path checks, client address from the
 * socket, streaming both ways and upstream release on disconnect.
 *
 * @example
 * app.use('/api', toNodeHandler(createProxy({ target: 'http://api.internal/base' })));
 * fastify.all('/api/*', (request, reply) => { reply.hijack(); return handler(request.raw, reply.raw); });
 */
export function toNodeHandler(
  proxy: Proxy,
  options: NodeHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const forward = forwardOf(proxy);
  if (forward !== undefined) return forwardingHandler(forward, options);
  return async (req, res) => {
    let request: Request;
    try {
      request = toWebRequest(req, res);
    } catch {
      res.statusCode = 400;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify({ error: 'Bad request', target: proxy.name }));
      return;
    }
    const path = options.path === undefined ? req.url ?? '/' : options.path(req);
    const address = clientAddress(req);
    const response = await proxy.handle(request, {
      path,
      signal: request.signal,
      ...(address === undefined ? {} : { clientAddress: address }),
    });
    await sendWebResponse(res, response).catch(() => {});
  };
}
