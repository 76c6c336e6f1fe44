import type { Transport } from './types.js';
import { undiciTransport } from './undici.js';

let shared: Transport | undefined;

/**
 * The transport used on Node when none is given: one undici pool per origin for the process,
 * like the global `fetch`'s. Idle connections close after the keep-alive timeout and never keep
 * the process alive.
 */
export function defaultTransport(): Transport {
  shared ??= undiciTransport();
  return shared;
}
