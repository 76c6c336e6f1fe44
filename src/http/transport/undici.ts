import { Agent, type Dispatcher } from 'undici';
import { abortableOf, type Abortable } from '../../_internal/abortable.js';
import { expected, parseOptions, positiveInteger, v } from '../../_internal/validate.js';
import { withStream, type StreamSend } from './_stream.js';
import type { Transport, TransportRequest, TransportResponse } from './types.js';

/** Options of `undiciTransport`. */
export interface UndiciTransportOptions {
  /**
   * Your own undici dispatcher (an `Agent`, `Pool`, `ProxyAgent`, or one with interceptors); it
   * is not closed by `close()`. When set, `connections` and `pipelining` are ignored.
   */
  dispatcher?: Dispatcher;
  /** Keep-alive connections per origin. @default 128 */
  connections?: number;
  /** Requests in flight per connection (HTTP/1.1 pipelining); 1 turns it off. @default 1 */
  pipelining?: number;
  /** How long an idle connection is kept open, in ms. @default 4_000 */
  keepAliveTimeoutMs?: number;
}

const optionsSchema = v.object({
  dispatcher: expected<Dispatcher>(
    'an undici Dispatcher',
    (v) => typeof v === 'object' && v !== null && typeof (v as Dispatcher).dispatch === 'function',
  ).optional(),
  connections: positiveInteger.optional(),
  pipelining: positiveInteger.optional(),
  keepAliveTimeoutMs: positiveInteger.optional(),
});

/**
 * A transport over undici's `request()` with a keep-alive connection pool per origin: the default
 * for `switchyard/http` on Node.
 *
 * Bodies stay Node streams (no web stream in the middle) and redirects are never followed. undici's
 * own header and body timeouts are off: the caller's signal (the executor's deadline, the proxy's
 * `timeoutMs`) bounds each request. `close()` closes the pool's connections.
 *
 * @example
 * import { Agent } from 'undici';
 * const transport = undiciTransport({ connections: 32 });
 * const worker = httpWorker({ path: '/users', transport });
 * // on shutdown
 * await transport.close();
 */
export function undiciTransport(options: UndiciTransportOptions = {}): Transport {
  parseOptions(optionsSchema, options, 'undiciTransport');
  const owned = options.dispatcher === undefined;
  const dispatcher =
    options.dispatcher ??
    new Agent({
      connections: options.connections ?? 128,
      pipelining: options.pipelining ?? 1,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
      headersTimeout: 0,
      bodyTimeout: 0,
    });

  // A request from httpWorker carries its attempt as an abort source that undici takes in place of
  // a signal; reading `req.signal` would create an AbortController for nothing.
  const signalOf = (req: TransportRequest): AbortSignal | Abortable => abortableOf(req) ?? req.signal;
  const optionsOf = (req: TransportRequest): Dispatcher.RequestOptions => ({
    origin: req.url.origin,
    path: `${req.url.pathname}${req.url.search}`,
    method: req.method as Dispatcher.HttpMethod,
    headers: req.headers,
    body: req.body as Dispatcher.DispatchOptions['body'],
    signal: signalOf(req) as Dispatcher.RequestOptions['signal'],
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  /** The same contract as fetch: whatever broke on the wire is a TypeError, the original on `cause`. */
  const failure = (req: TransportRequest, error: unknown): unknown => {
    const signal = signalOf(req);
    if (signal.aborted) return signal.reason;
    if ((error as { code?: unknown }).code === 'UND_ERR_INVALID_ARG') return error;
    return new TypeError('The request failed', { cause: error });
  };

  const request = async (req: TransportRequest): Promise<TransportResponse> => {
    let response: Dispatcher.ResponseData;
    try {
      // The dispatcher's own request(): undici's top-level request() parses the URL again and
      // copies the options on every call.
      response = await dispatcher.request(optionsOf(req));
    } catch (error) {
      // Refused, reset, a response that is not HTTP.
      throw failure(req, error);
    }
    const body = response.body;
    return {
      status: response.statusCode,
      headers: response.headers,
      body,
      // Reads what is left of a short body so the connection can be reused; a long one is cut
      // off by undici and its connection closed.
      cancel: () => void body.dump().catch(() => {}),
    };
  };

  // undici's stream(): the body goes from the socket into the sink, without a Readable between.
  const send: StreamSend = (req, respond) =>
    new Promise<void>((resolve, reject) => {
      let refused: { error: unknown } | undefined;
      let answered = false;
      dispatcher.stream(
        optionsOf(req),
        ({ statusCode, headers }) => {
          try {
            const sink = respond({ status: statusCode, headers });
            answered = true;
            return sink as unknown as ReturnType<Dispatcher.StreamFactory>;
          } catch (error) {
            refused = { error };
            throw error;
          }
        },
        (error) => {
          if (error === null) resolve();
          else if (refused !== undefined) reject(refused.error);
          else reject(answered ? error : failure(req, error));
        },
      );
    });

  let closing: Promise<void> | undefined;
  return withStream(
    {
      request,
      close: () => {
        closing ??= owned ? dispatcher.close() : Promise.resolve();
        return closing;
      },
    },
    send,
  );
}
