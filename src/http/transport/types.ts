/**
 * One request handed to a transport: an absolute URL, and headers already checked (tokens for
 * names, no CR/LF/NUL in values) with the hop-by-hop ones removed.
 */
export interface TransportRequest {
  url: URL;
  /** Upper-case method token. */
  method: string;
  /** Lower-case names; a value the caller combined from several fields is one string. */
  headers: Record<string, string>;
  /** Sent as is; an async iterable is streamed (chunked unless `content-length` is set). */
  body: string | Uint8Array | AsyncIterable<Uint8Array> | null;
  /** Aborting it aborts the request, and the response body while it is being read. */
  signal: AbortSignal;
}

/** Response header fields by lower-case name; `set-cookie` (and other repeated fields) as arrays. */
export type TransportHeaders = Record<string, string | string[] | undefined>;

/** What a transport resolves with once the response headers have arrived. */
export interface TransportResponse {
  status: number;
  headers: TransportHeaders;
  /** The body, read once. Ending the iteration early (`break`, `return()`) releases it. */
  body: AsyncIterable<Uint8Array>;
  /** Releases an unread or partly read body, so the connection is closed or reused; never throws. */
  cancel(): void;
}

/**
 * Sends HTTP requests for `httpWorker` and `createProxy`: undici on Node, `fetch` elsewhere.
 *
 * The interface is kept small on purpose, so that a transport is easy to write (a test double, a
 * connection pool with a different policy, an HTTP/2 client). Every transport passes the same
 * conformance suite; see `fetchTransport` and `undiciTransport` (`switchyard/http/undici`).
 *
 * @example
 * const transport = fetchTransport();
 * const worker = httpWorker({ path: '/users', transport });
 */
export interface Transport {
  /**
   * Sends one request and resolves when the response headers arrive. Rejects with a `TypeError`
   * when the request could not be sent or answered (refused, reset, a response that is not
   * HTTP), and with `signal.reason` when `signal` aborted. Redirects are never followed.
   */
  request(request: TransportRequest): Promise<TransportResponse>;
  /** Closes the connections this transport opened; requests after it reject. */
  close(): Promise<void>;
}

/** The first value of a response header, or undefined. */
export function headerValue(headers: TransportHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
