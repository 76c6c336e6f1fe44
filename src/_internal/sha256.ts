import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * SHA-256 of a string as hex, synchronous and runtime-neutral (@noble/hashes, bundled).
 *
 * Web Crypto's `crypto.subtle.digest` is asynchronous and costs ~35 µs per call on Node 20 (it
 * hops to a thread pool); keys are hashed on every cached call, where this takes about 1–2 µs.
 */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
