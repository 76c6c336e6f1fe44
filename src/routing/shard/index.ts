export { hashKey } from './hashKey.js';
export { jumpHash, jumpHashString } from './jumpHash.js';
export { rendezvousHash, type RendezvousNode } from './rendezvousHash.js';
