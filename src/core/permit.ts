import type { Instance } from './instance.js';

/**
 * One admitted call's ticket. Call exactly one method when the call ends; further calls are
 * ignored. `release()` means the outcome does not count (403, 404, cancelled).
 */
export interface Permit {
  success(): void;
  failure(): void;
  release(): void;
}

/**
 * Decides, for one fan-out's instances, which may be called: a permit for each admitted instance,
 * `'circuit-open'` for each skipped one. The executor's view of a breaker registry.
 */
export interface Admission {
  admit(instances: readonly Instance[], operation: string): Map<string, Permit | 'circuit-open'>;
}
