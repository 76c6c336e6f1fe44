export * from './path/index.js';
export * from './pool/index.js';
