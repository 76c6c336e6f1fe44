import { fnv1a64Into, halves } from './hashKey.js';

const MAX_BUCKETS = 2 ** 32;
const C_HI = 0x27bb2ee6;
const C_LO = 0x87b0b0fd;
const C_LO_HI16 = C_LO >>> 16;
const C_LO_LO16 = C_LO & 0xffff;
const TWO_31 = 2147483648;

function checkBuckets(buckets: number): void {
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > MAX_BUCKETS) {
    throw new RangeError(`Expected \`buckets\` to be an integer from 1 to 2^32, got ${String(buckets)}`);
  }
}

/**
 * Jump consistent hash (Lamping & Veach, 2014): the bucket in `[0, buckets)` of a 64-bit key.
 *
 * It needs no memory and no ring, spreads keys evenly, and when the bucket count grows from n to
 * n + 1 only about 1/(n + 1) of the keys move — all of them to the new bucket. Buckets are numbers,
 * so shards can be added at the end but not removed from the middle; use {@link rendezvousHash}
 * when any named shard may leave. The key is read as unsigned 64-bit (a negative bigint wraps, as
 * in C); results match the reference C++ and the published Guava and go-jump vectors.
 *
 * @throws RangeError when `buckets` is not an integer from 1 to 2^32.
 * @example
 * ```ts
 * import { jumpHash } from 'switchyard/routing';
 * jumpHash(256n, 1024); // 520
 * ```
 */
export function jumpHash(key: bigint, buckets: number): number {
  if (typeof key !== 'bigint') throw new TypeError(`Expected \`key\` to be a bigint, got ${typeof key}`);
  checkBuckets(buckets);
  const unsigned = BigInt.asUintN(64, key);
  return jump32(Number(unsigned >> 32n), Number(unsigned & 0xffffffffn), buckets);
}

/**
 * The jump loop on a key held as two unsigned 32-bit halves: key = key * 2862933555777941757 + 1
 * (mod 2^64) in 16-bit limbs, then j = (b + 1) * 2^31 / ((key >>> 33) + 1). Exactly the
 * reference algorithm, without BigInt.
 */
export function jump32(hi: number, lo: number, buckets: number): number {
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    const a1 = lo >>> 16;
    const a0 = lo & 0xffff;
    const t = a0 * C_LO_LO16;
    const mid = a1 * C_LO_LO16 + a0 * C_LO_HI16;
    const carry = a1 * C_LO_HI16 + (((mid + (t >>> 16)) / 65536) | 0);
    const newLo = Math.imul(lo, C_LO) >>> 0;
    hi = (carry + (Math.imul(hi, C_LO) >>> 0) + (Math.imul(lo, C_HI) >>> 0)) >>> 0;
    lo = (newLo + 1) >>> 0;
    if (lo === 0) hi = (hi + 1) >>> 0;
    j = Math.floor((b + 1) * (TWO_31 / ((hi >>> 1) + 1)));
  }
  return b;
}

/**
 * {@link jumpHash} of a string key hashed with FNV-1a 64 ({@link hashKey}), computed without
 * BigInt: the shard router's hot path. Equal to `jumpHash(hashKey(key), buckets)`.
 *
 * @throws RangeError when `buckets` is not an integer from 1 to 2^32.
 * @example
 * ```ts
 * import { jumpHashString } from 'switchyard/routing';
 * const shard = jumpHashString('user_42', 16);
 * ```
 */
export function jumpHashString(key: string, buckets: number): number {
  if (typeof key !== 'string') throw new TypeError(`Expected \`key\` to be a string, got ${typeof key}`);
  checkBuckets(buckets);
  fnv1a64Into(key);
  return jump32(halves.hi, halves.lo, buckets);
}
