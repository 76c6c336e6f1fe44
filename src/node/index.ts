/**
 * Node adapters: web `Request`/`Response` over `node:http`, the client's disconnect signal, and a
 * file policy backend.
 *
 * @module switchyard/node
 */
export { filePolicyBackend, type FilePolicyBackendOptions } from './filePolicyBackend.js';
export { toNodeHandler, toWebRequest, sendWebResponse, clientAddress, type NodeHandlerOptions } from './adapters.js';
export { clientSignal } from './clientSignal.js';
