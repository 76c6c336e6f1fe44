import type { Strategy } from './types.js';

/**
 * Returns `strategy` unchanged; it exists so a custom strategy's `T` and `R` are inferred from
 * its `combine` without annotations.
 *
 * @example
 * const count = defineStrategy({ combine: (r: Responses<Group[]>) => r.successes.length });
 */
export function defineStrategy<T, R>(strategy: Strategy<T, R>): Strategy<T, R> {
  return strategy;
}
