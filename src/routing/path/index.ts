export { createRouteMatcher, type RouteMatcher, type RouteMatcherOptions } from './createRouteMatcher.js';
export { normalizePath, type NormalizedPath } from './normalizePath.js';
export type { Balance } from './balance.js';
export type {
  HeaderCondition,
  HeadersInput,
  MatchInput,
  MatchedTarget,
  RouteDefinition,
  RouteInfo,
  RouteKind,
  RouteMatch,
  RouteTable,
  RouteTarget,
} from './types.js';
export {
  createRuntimeRouter,
  type Forward,
  type RuntimeHandleInit,
  type RuntimeRouter,
  type RuntimeRouterHooks,
  type RuntimeRouterOptions,
  type RuntimeRouterStats,
  type TableLoadErrorState,
  type TableLoadState,
} from './createRuntimeRouter.js';
