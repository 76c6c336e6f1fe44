import type { Transport, TransportHeaders, TransportRequest } from './types.js';

/** The part of a Node `Writable` (a `ServerResponse`) that a streaming send writes the body into. */
export interface BodySink {
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

/**
 * Sends a request and writes the answer's body straight into the sink that `respond` returns once
 * the response headers arrive, with the sink's backpressure, and no stream in between. Resolves
 * when the sink has finished (or closed); rejects like `Transport.request` before the headers,
 * with what `respond` threw, or, after the headers, with the error that ended the body (the sink
 * is then destroyed, so a client never takes a truncated body for a whole one).
 */
export type StreamSend = (
  request: TransportRequest,
  respond: (head: { status: number; headers: TransportHeaders }) => BodySink,
) => Promise<void>;

/**
 * Where a transport keeps its optional streaming send. A registered symbol, not a public member:
 * the Node proxy handler and the transport may come from separate bundles of the package.
 */
const STREAM = Symbol.for('switchyard.transport.stream.v1');

/** Gives a transport a streaming send (the undici transport has one). */
export function withStream<T extends Transport>(transport: T, send: StreamSend): T {
  Object.defineProperty(transport, STREAM, { value: send });
  return transport;
}

/** The streaming send of a transport, if it has one. */
export function streamOf(transport: Transport): StreamSend | undefined {
  const send = (transport as { [STREAM]?: unknown })[STREAM];
  return typeof send === 'function' ? (send as StreamSend) : undefined;
}
