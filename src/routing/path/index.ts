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
