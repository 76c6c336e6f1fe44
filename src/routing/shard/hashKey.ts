/**
 * The two 32-bit halves of the last {@link fnv1a64Into} result. Module-level so the routing hot
 * path hashes a string without allocating; read them right after the call.
 */
export const halves = { hi: 0, lo: 0 };

const OFFSET_HI = 0xcbf29ce4;
const OFFSET_LO = 0x84222325;

/**
 * FNV-1a 64 of the UTF-8 bytes of `text`, into {@link halves}, in 32-bit arithmetic (no BigInt,
 * no TextEncoder allocation). Lone surrogates are encoded as U+FFFD, as TextEncoder does.
 */
export function fnv1a64Into(text: string): void {
  let hi = OFFSET_HI;
  let lo = OFFSET_LO;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    let code = text.charCodeAt(i);
    // The character's UTF-8 bytes, first byte in the highest used position.
    let packed: number;
    let shift: number;
    if (code < 0x80) {
      packed = code;
      shift = 0;
    } else if (code < 0x800) {
      packed = ((0xc0 | (code >> 6)) << 8) | (0x80 | (code & 0x3f));
      shift = 8;
    } else {
      if (code >= 0xd800 && code <= 0xdfff) {
        const next = i + 1 < length ? text.charCodeAt(i + 1) : 0;
        if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
          i++;
        } else code = 0xfffd;
      }
      if (code >= 0x10000) {
        packed = (((0xf0 | (code >> 18)) << 24) | ((0x80 | ((code >> 12) & 0x3f)) << 16) | ((0x80 | ((code >> 6) & 0x3f)) << 8) | (0x80 | (code & 0x3f))) >>> 0;
        shift = 24;
      } else {
        packed = ((0xe0 | (code >> 12)) << 16) | ((0x80 | ((code >> 6) & 0x3f)) << 8) | (0x80 | (code & 0x3f));
        shift = 16;
      }
    }
    for (; shift >= 0; shift -= 8) {
      // xor the byte into the low half, then multiply by the prime 2^40 + 0x1b3 (mod 2^64).
      const x = (lo ^ ((packed >>> shift) & 0xff)) >>> 0;
      // The carry out of x * 0x1b3, from 16-bit halves so every step stays an integer.
      const carry = ((x >>> 16) * 0x1b3 + (((x & 0xffff) * 0x1b3) >>> 16)) >>> 16;
      lo = Math.imul(x, 0x1b3) >>> 0;
      hi = (Math.imul(hi, 0x1b3) + carry + (x << 8)) >>> 0;
    }
  }
  halves.hi = hi;
  halves.lo = lo;
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
