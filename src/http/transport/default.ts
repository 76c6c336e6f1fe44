import { fetchTransport } from './fetch.js';
import type { Transport } from './types.js';

let shared: Transport | undefined;

/**
 * The transport used when none is given: `fetch` here. The Node build of `switchyard/http`
 * resolves this module to `default.node.ts` (undici) instead, chosen by the package's export
 * conditions, never by testing the runtime on each call.
 */
export function defaultTransport(): Transport {
  shared ??= fetchTransport();
  return shared;
}
