import { SwitchyardError } from '../errors/SwitchyardError.js';

/**
 * Validates a store TTL and rounds it up to whole milliseconds, so that every store accepts the
 * same range (Redis `PX` takes integers only).
 */
export function checkTtl(ttlMs: unknown): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new SwitchyardError('INVALID_INPUT', `Expected \`ttlMs\` to be a finite number > 0, got ${String(ttlMs)}`);
  }
  return Math.ceil(ttlMs);
}
