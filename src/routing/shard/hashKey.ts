/**
 * The two 32-bit halves of the last {@link fnv1a64Into} result. Module-level so the routing hot
 * path hashes a string without allocating; read them right after the call.
 */
export const halves = { hi: 0, lo: 0 };

const OFFSET_HI = 0xcbf29ce4;
const OFFSET_LO = 0x84222325;

/** One FNV-1a step over a byte: xor into the low half, multiply by the prime 2^40 + 0x1b3 mod 2^64. */
function step(byte: number): void {
  const lo = (halves.lo ^ byte) >>> 0;
  // lo * 0x1b3 < 2^41 and hi * 0x1b3 < 2^41: exact in a double.
  const low = lo * 0x1b3;
  halves.lo = low >>> 0;
  halves.hi = (halves.hi * 0x1b3 + Math.floor(low / 4294967296) + (lo << 8)) >>> 0;
}

/**
 * FNV-1a 64 of the UTF-8 bytes of `text`, into {@link halves}, in 32-bit arithmetic (no BigInt,
 * no TextEncoder allocation). Lone surrogates are encoded as U+FFFD, as TextEncoder does.
 */
export function fnv1a64Into(text: string): void {
  halves.hi = OFFSET_HI;
  halves.lo = OFFSET_LO;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      step(code);
      continue;
    }
    if (code < 0x800) {
      step(0xc0 | (code >> 6));
      step(0x80 | (code & 0x3f));
      continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = i + 1 < length ? text.charCodeAt(i + 1) : 0;
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
        step(0xf0 | (code >> 18));
        step(0x80 | ((code >> 12) & 0x3f));
        step(0x80 | ((code >> 6) & 0x3f));
        step(0x80 | (code & 0x3f));
        continue;
      }
      code = 0xfffd;
    }
    step(0xe0 | (code >> 12));
    step(0x80 | ((code >> 6) & 0x3f));
    step(0x80 | (code & 0x3f));
  }
}

/**
 * The 64-bit FNV-1a hash of a string's UTF-8 bytes, as an unsigned bigint: the key that
 * {@link jumpHash} takes for a string shard key.
 *
 * FNV-1a is fast, needs no tables and is the same everywhere (Go's `hash/fnv`, go-jump's
 * `FNV1a` hasher), so a shard key hashes to the same bucket in every language that follows it.
 * The router itself hashes without BigInt; this form is for callers and tests.
 *
 * @example
 * ```ts
 * import { hashKey, jumpHash } from 'switchyard/routing';
 * const bucket = jumpHash(hashKey('user_42'), 16);
 * ```
 */
export function hashKey(text: string): bigint {
  if (typeof text !== 'string') throw new TypeError(`Expected the key to be a string, got ${typeof text}`);
  fnv1a64Into(text);
  return (BigInt(halves.hi) << 32n) | BigInt(halves.lo);
}
