/**
 * Canonical dedup keys: equal data gives one key whatever the key order; different data never
 * shares a key, down to near misses (1 vs '1' vs 1n, a changed leaf, [] vs {}).
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { canonicalKey } from '../../src/dedup/canonicalKey.js';
import { seededRandom } from '../../src/testing/index.js';
import { params } from './_seed.js';

type Data = null | boolean | number | string | bigint | Date | Data[] | { [key: string]: Data };

const leaf: fc.Arbitrary<Data> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -3, max: 3 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 4 }),
  fc.constantFrom('1', 'true', 'null', '1n', '', '"', '\u0000'),
  fc.bigInt({ min: -3n, max: 3n }),
  fc.integer({ min: -1, max: 1 }).map((ms) => new Date(ms)),
);
const { data } = fc.letrec<{ data: Data }>((tie) => ({
  data: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('data'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 3 }), tie('data'), { maxKeys: 4 }),
  ),
}));

/** What the key must tell apart: the type and value of every leaf, and the shape. -0 is 0. */
function reference(value: Data): string {
  if (value === null) return 'null';
  if (value instanceof Date) return `date:${value.getTime()}`;
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  switch (typeof value) {
    case 'number':
      return `number:${Object.is(value, -0) ? 0 : value}`;
    case 'bigint':
      return `bigint:${value}`;
    case 'string':
      return `string:${JSON.stringify(value)}`;
    case 'boolean':
      return `boolean:${value}`;
    default: {
      const record = value as Record<string, Data>;
      return `{${Object.keys(record)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${reference(record[k]!)}`)
        .join(',')}}`;
    }
  }
}

/** A deep copy with the keys of every object inserted in another order. */
function reordered(value: Data, random: () => number): Data {
  if (Array.isArray(value)) return value.map((v) => reordered(v, random));
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const keys = Object.keys(value);
  for (let i = keys.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  const out: Record<string, Data> = {};
  for (const key of keys) out[key] = reordered(value[key]!, random);
  return out;
}

/** Changes one leaf, one key or one container of `value`, picked by `pick`: a near miss. */
function mutate(value: Data, pick: number): Data {
  const swaps = (leafValue: Data): Data => {
    if (typeof leafValue === 'number') return pick % 2 === 0 ? leafValue + 1 : String(leafValue);
    if (typeof leafValue === 'bigint') return pick % 2 === 0 ? Number(leafValue) : `${leafValue}n`;
    if (typeof leafValue === 'string') return pick % 2 === 0 ? `${leafValue}x` : Number.isNaN(Number(leafValue)) ? [leafValue] : Number(leafValue);
    if (typeof leafValue === 'boolean') return pick % 2 === 0 ? !leafValue : String(leafValue);
    if (leafValue === null) return pick % 2 === 0 ? 'null' : {};
    if (leafValue instanceof Date) return pick % 2 === 0 ? new Date(leafValue.getTime() + 1) : leafValue.toISOString();
    return leafValue;
  };
  if (Array.isArray(value)) {
    if (value.length === 0) return pick % 2 === 0 ? {} : [null];
    const at = pick % value.length;
    return value.map((v, i) => (i === at ? mutate(v, Math.floor(pick / 2)) : v));
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return pick % 2 === 0 ? [] : { k: null };
    const key = keys[pick % keys.length]!;
    if (pick % 3 === 0) {
      const { [key]: moved, ...rest } = value;
      return { ...rest, [`${key}_`]: moved! };
    }
    return { ...value, [key]: mutate(value[key]!, Math.floor(pick / 3)) };
  }
  return swaps(value);
}

it('gives one key whatever the order of object keys', () => {
  fc.assert(
    fc.property(data, fc.integer(), (value, shuffleSeed) => {
      expect(canonicalKey(reordered(value, seededRandom(shuffleSeed)))).toBe(canonicalKey(value));
    }),
    params(1_000),
  );
});

it('gives different keys to different data, and equal keys only to equal data', () => {
  fc.assert(
    fc.property(data, data, (a, b) => {
      expect(canonicalKey(a) === canonicalKey(b)).toBe(reference(a) === reference(b));
    }),
    params(1_000),
  );
});

it('tells a near miss apart: one changed leaf, key or container', () => {
  fc.assert(
    fc.property(data, fc.nat(), (value, pick) => {
      const other = mutate(value, pick);
      fc.pre(reference(other) !== reference(value));
      expect(canonicalKey(other)).not.toBe(canonicalKey(value));
    }),
    params(2_000),
  );
});

it('treats a property set to undefined as absent, and only that', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string({ maxLength: 3 }), data, { maxKeys: 4 }), fc.string({ maxLength: 3 }), (record, key) => {
      fc.pre(!(key in record));
      expect(canonicalKey({ ...record, [key]: undefined })).toBe(canonicalKey(record));
      expect(canonicalKey({ ...record, [key]: null })).not.toBe(canonicalKey(record));
    }),
    params(500),
  );
});
