export * from './path/index.js';
export * from './pool/index.js';
export * from './shard/index.js';
export * from './policy/index.js';
export * from './federation/index.js';
