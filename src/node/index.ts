export { filePolicyBackend, type FilePolicyBackendOptions } from './filePolicyBackend.js';
