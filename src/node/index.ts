export { filePolicyBackend, type FilePolicyBackendOptions } from './filePolicyBackend.js';
export { toNodeHandler, toWebRequest, sendWebResponse, clientAddress, type NodeHandlerOptions } from './adapters.js';
export { clientSignal } from './clientSignal.js';
