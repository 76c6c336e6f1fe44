import { expect, test } from 'vitest';
import { hashKey, jumpHash, jumpHashString, rendezvousHash } from '../../../src/routing/index.js';
import { fnv1a64Into, halves } from '../../../src/routing/shard/hashKey.js';
import { jump32 } from '../../../src/routing/shard/jumpHash.js';
import { pickPrepared, prepareNodes } from '../../../src/routing/shard/rendezvousHash.js';

test('jumpHash matches the go-jump reference vectors', () => {
  expect(jumpHash(1n, 1)).toBe(0);
  expect(jumpHash(42n, 57)).toBe(43);
  expect(jumpHash(0xdead10ccn, 1)).toBe(0);
  expect(jumpHash(0xdead10ccn, 666)).toBe(361);
  expect(jumpHash(256n, 1024)).toBe(520);
});

test('jumpHash matches Guava’s golden values', () => {
  const golden100 = [0, 55, 62, 8, 45, 59, 86, 97, 82, 59, 73, 37, 17, 56, 86, 21, 90, 37, 38, 83];
  expect(golden100.map((_, i) => jumpHash(BigInt(i), 100))).toEqual(golden100);
  expect(jumpHash(10863919174838991n, 11)).toBe(6);
  expect(jumpHash(2016238256797177309n, 11)).toBe(3);
  expect(jumpHash(1673758223894951030n, 11)).toBe(5);
  expect(jumpHash(2n, 100001)).toBe(80343);
  expect(jumpHash(2201n, 100001)).toBe(22152);
  expect(jumpHash(2202n, 100001)).toBe(15018);
});

test('jumpHash reads keys as unsigned 64-bit, including the top of the range and 2^31 buckets', () => {
  expect(jumpHash(18446744073709551615n, 128)).toBe(92);
  expect(jumpHash(-1n, 128)).toBe(92);
  expect(jumpHash(-42n, 57)).toBe(8);
  expect(jumpHash(128n, 2147483648)).toBe(1644467860);
  expect(jumpHash(128n, 100000000)).toBe(38172097);
  expect(jumpHash(129n, 128)).toBe(120);
});

test('jumpHash refuses bucket counts below 1 or not integers with a RangeError', () => {
  expect(() => jumpHash(1n, 0)).toThrow(RangeError);
  expect(() => jumpHash(1n, -10)).toThrow(RangeError);
  expect(() => jumpHash(1n, 1.5)).toThrow('Expected `buckets` to be an integer from 1 to 2^32, got 1.5');
  expect(() => jumpHash(1n, Number.NaN)).toThrow(RangeError);
});

test('hashKey is FNV-1a 64 over UTF-8 (published FNV vectors)', () => {
  expect(hashKey('')).toBe(0xcbf29ce484222325n);
  expect(hashKey('a')).toBe(0xaf63dc4c8601ec8cn);
  expect(hashKey('foobar')).toBe(0x85944171f73967e8n);
  // go-jump's string vector: FNV1a("中国") into 10 buckets.
  expect(jumpHash(hashKey('中国'), 10)).toBe(5);
});

/** FNV-1a 64 the slow, obvious way: BigInt over TextEncoder bytes. */
function referenceFnv(text: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  return hash;
}

test('hashKey encodes every UTF-8 length (1 to 4 bytes) and lone surrogates like TextEncoder', () => {
  for (const text of ['plain', 'é ß', '中国 ветер', '😀 👩‍👩‍👧', 'a\ud800b', '\udc00', 'x\ud83d']) {
    expect(hashKey(text)).toBe(referenceFnv(text));
  }
});

test('the BigInt-free path agrees with jumpHash(hashKey(key)) on many keys', () => {
  const samples = ['', 'a', 'user_1', 'ё', '😀 emoji', '\ud800 lone', 'x'.repeat(300)];
  for (let i = 0; i < 2000; i++) samples.push(`key-${i * 7919}`);
  for (const key of samples) {
    for (const buckets of [1, 2, 7, 100, 65536, 2 ** 31]) {
      expect(jumpHashString(key, buckets)).toBe(jumpHash(hashKey(key), buckets));
    }
  }
  expect(hashKey('\ud800 lone')).toBe(hashKey('\ufffd lone'));
});

function loads(buckets: number, pick: (hi: number, lo: number) => number, keys = 1_000_000): number[] {
  const counts = new Array<number>(buckets).fill(0);
  for (let i = 0; i < keys; i++) {
    fnv1a64Into(`key-${i}`);
    counts[pick(halves.hi, halves.lo)]!++;
  }
  return counts;
}

test('jump balances 1,000,000 keys over 100 shards to max/mean <= 1.03', () => {
  const counts = loads(100, (hi, lo) => jump32(hi, lo, 100));
  expect(Math.max(...counts) / 10_000).toBeLessThanOrEqual(1.03);
});

test('rendezvous balances 1,000,000 keys over 100 nodes to max/mean <= 1.03', () => {
  const prepared = prepareNodes(Array.from({ length: 100 }, (_, i) => `shard-${i}`));
  const counts = loads(100, (hi, lo) => pickPrepared(prepared, hi, lo));
  expect(Math.max(...counts) / 10_000).toBeLessThanOrEqual(1.03);
});

test('growing jump from 10 to 11 shards moves about 1/11 of keys, all to the new shard', () => {
  let moved = 0;
  const keys = 200_000;
  for (let i = 0; i < keys; i++) {
    fnv1a64Into(`key-${i}`);
    const before = jump32(halves.hi, halves.lo, 10);
    const after = jump32(halves.hi, halves.lo, 11);
    if (before !== after) {
      moved++;
      expect(after).toBe(10);
    }
  }
  expect(Math.abs(moved / keys - 1 / 11)).toBeLessThanOrEqual(0.1 / 11);
});

test('removing one of 11 rendezvous nodes moves only that node’s keys', () => {
  const nodes = Array.from({ length: 11 }, (_, i) => ({ id: `node-${i}` }));
  const without = nodes.filter((n) => n.id !== 'node-4');
  let movedOfRemoved = 0;
  for (let i = 0; i < 50_000; i++) {
    const key = `key-${i}`;
    const before = rendezvousHash(key, nodes);
    const after = rendezvousHash(key, without);
    if (before.id === 'node-4') movedOfRemoved++;
    else expect(after).toBe(before);
  }
  expect(movedOfRemoved / 50_000).toBeGreaterThan(0.08);
});

test('rendezvous weights give each node a share proportional to its weight', () => {
  const nodes = [{ id: 'a', weight: 1 }, { id: 'b', weight: 3 }];
  let b = 0;
  for (let i = 0; i < 100_000; i++) if (rendezvousHash(`k${i}`, nodes).id === 'b') b++;
  expect(b / 100_000).toBeGreaterThan(0.74);
  expect(b / 100_000).toBeLessThan(0.76);
});

test('rendezvous refuses empty node lists, repeated ids and bad weights', () => {
  expect(() => rendezvousHash('k', [])).toThrow('non-empty array');
  expect(() => rendezvousHash('k', ['a', 'a'])).toThrow('"a" is repeated');
  expect(() => rendezvousHash('k', [{ id: 'a', weight: 0 }])).toThrow('`nodes[0].weight`');
});
