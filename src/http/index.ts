/**
 * Calls over HTTP: `httpWorker`, the fetch transport, the path proxy and the upstream errors.
 *
 * @module switchyard/http
 */
export { httpWorker, type HttpWorkerOptions, type HeadersFactory, type HttpCredentials } from './httpWorker.js';
export { fetchTransport, type FetchTransportOptions, type FetchLike } from './transport/fetch.js';
export type { Transport, TransportRequest, TransportResponse, TransportHeaders } from './transport/types.js';
export {
  createProxy,
  type Proxy,
  type ProxyOptions,
  type ProxyHandleInit,
  type ProxyErrorState,
  type ProxyHooks,
  type TrustProxy,
} from './createProxy.js';
export { proxyForward, type ProxyForward, type ProxyForwardOptions, type ForwardMatch, type ForwardTarget } from './proxyForward.js';
export {
  HttpStatusError,
  UpstreamResponseError,
  UpstreamNetworkError,
  isHttpStatusError,
  isUpstreamResponseError,
  isUpstreamNetworkError,
  type UpstreamDetail,
  type UpstreamResponseProblem,
} from './errors.js';
export type { StandardSchemaV1 } from './_standardSchema.js';
