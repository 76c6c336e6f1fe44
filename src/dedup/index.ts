export { createDedup, type Dedup, type DedupInput, type InvalidateTarget } from './createDedup.js';
export { DEDUP_DEFAULTS, type DedupOptions } from './options.js';
export { canonicalKey } from './canonicalKey.js';
export { copierOf } from './_entry.js';
export type {
  DedupHooks,
  BypassState,
  HitState,
  MissState,
  JoinState,
  StoreErrorState,
  NotCachedState,
  RefreshErrorState,
} from './hooks.js';
