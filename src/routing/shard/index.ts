export { hashKey } from './hashKey.js';
export { jumpHash, jumpHashString } from './jumpHash.js';
export { rendezvousHash, type RendezvousNode } from './rendezvousHash.js';
export { resolveShard, type Resolution, type ShardKey, type ShardVia } from './resolveShard.js';
export {
  shardRouter,
  type PolicySource,
  type ShardRouteState,
  type ShardRouterHooks,
  type ShardRouterOptions,
  type ShardScatterState,
} from './shardRouter.js';
export {
  sessionAffinity,
  SESSION_AFFINITY_DEFAULTS,
  type AffinityKey,
  type AffinityPin,
  type SessionAffinity,
  type SessionAffinityOptions,
} from './sessionAffinity.js';
