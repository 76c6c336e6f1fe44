/** The value recorded in place of one that would pass the cardinality limit. */
export const OVERFLOW_VALUE = '_other';

/**
 * Caps how many distinct values each metric attribute may take, so an unbounded key (an instance
 * id per tenant, a user id passed by mistake) cannot grow a metrics backend without bound. Values
 * seen first are kept; later new values are recorded as `_other`.
 */
export interface CardinalityGuard {
  value(key: string, value: string | number | boolean): string | number | boolean;
}

/**
 * Creates a guard that lets each attribute key take at most `maxValues` distinct values.
 *
 * @example
 * const guard = createCardinalityGuard(2);
 * guard.value('tenant', 'a'); guard.value('tenant', 'b'); // 'a', 'b'
 * guard.value('tenant', 'c');                              // '_other'
 */
export function createCardinalityGuard(maxValues: number): CardinalityGuard {
  const seen = new Map<string, Set<string | number | boolean>>();
  return {
    value(key, value) {
      let values = seen.get(key);
      if (values === undefined) seen.set(key, (values = new Set()));
      if (values.has(value)) return value;
      if (values.size >= maxValues) return OVERFLOW_VALUE;
      values.add(value);
      return value;
    },
  };
}
