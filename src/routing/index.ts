/**
 * Path routing, shard routing (jump and rendezvous hashing, policies and their store), client
 * pools and tenant federation.
 *
 * @module switchyard/routing
 */
export * from './path/index.js';
export * from './pool/index.js';
export * from './shard/index.js';
export * from './policy/index.js';
export * from './federation/index.js';
