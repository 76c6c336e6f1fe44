/**
 * SHA-256 in plain JavaScript, synchronous and runtime-neutral.
 *
 * Web Crypto's `crypto.subtle.digest` is asynchronous and costs ~35 µs per call on Node 20 (it
 * hops to a thread pool); keys are short strings hashed on every cached call, where this takes
 * about 1–2 µs. Verified against node:crypto in test/dedup/sha256.test.ts.
 */

function fractionBits(root: (n: number) => number, count: number): Uint32Array {
  const out = new Uint32Array(count);
  let found = 0;
  for (let candidate = 2; found < count; candidate += 1) {
    let prime = true;
    for (let d = 2; d * d <= candidate; d += 1) {
      if (candidate % d === 0) {
        prime = false;
        break;
      }
    }
    if (!prime) continue;
    const r = root(candidate);
    out[found] = ((r - Math.floor(r)) * 2 ** 32) >>> 0;
    found += 1;
  }
  return out;
}

const K = fractionBits(Math.cbrt, 64);
const H = fractionBits(Math.sqrt, 8);
const W = new Uint32Array(64);
const encoder = new TextEncoder();

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));

/** The SHA-256 digest of the UTF-8 bytes of `text`, as 64 lowercase hex characters. */
export function sha256Hex(text: string): string {
  const bytes = encoder.encode(text);
  const blocks = ((bytes.length + 9 + 63) >>> 6) << 6;
  const padded = new Uint8Array(blocks);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  const bits = bytes.length * 8;
  view.setUint32(blocks - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(blocks - 4, bits >>> 0);

  let h0 = H[0]!, h1 = H[1]!, h2 = H[2]!, h3 = H[3]!, h4 = H[4]!, h5 = H[5]!, h6 = H[6]!, h7 = H[7]!;
  for (let offset = 0; offset < blocks; offset += 64) {
    for (let i = 0; i < 16; i += 1) W[i] = view.getUint32(offset + i * 4);
    for (let i = 16; i < 64; i += 1) {
      const a = W[i - 15]!;
      const b = W[i - 2]!;
      const s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3);
      const s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10);
      W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let i = 0; i < 64; i += 1) {
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + h) | 0;
  }
  let hex = '';
  for (const word of [h0, h1, h2, h3, h4, h5, h6, h7]) hex += (word >>> 0).toString(16).padStart(8, '0');
  return hex;
}
