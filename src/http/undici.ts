/**
 * The undici transport for `httpWorker` and `createProxy` (Node).
 *
 * @module switchyard/http/undici
 */
export { undiciTransport, type UndiciTransportOptions } from './transport/undici.js';
