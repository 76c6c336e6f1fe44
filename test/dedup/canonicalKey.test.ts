import { describe, expect, it } from 'vitest';
import { canonicalKey } from '../../src/dedup/index.js';

describe('canonicalKey', () => {
  it('ignores object key order at every depth', () => {
    expect(canonicalKey({ b: 1, a: { y: [1, 2], x: 'x' } })).toBe(canonicalKey({ a: { x: 'x', y: [1, 2] }, b: 1 }));
  });

  it('keeps array order significant', () => {
    expect(canonicalKey([1, 2])).not.toBe(canonicalKey([2, 1]));
    expect(canonicalKey([[1], [2, [3]]])).toBe(canonicalKey([[1], [2, [3]]]));
    expect(canonicalKey([[1, 2]])).not.toBe(canonicalKey([[1], [2]]));
  });

  it('encodes equal Dates equally and distinct from their ISO string', () => {
    expect(canonicalKey({ at: new Date(0) })).toBe(canonicalKey({ at: new Date('1970-01-01T00:00:00.000Z') }));
    expect(canonicalKey(new Date(0))).not.toBe(canonicalKey(new Date(1)));
    expect(canonicalKey(new Date(0))).not.toBe(canonicalKey('1970-01-01T00:00:00.000Z'));
    expect(canonicalKey(new Date(Number.NaN))).toBe(canonicalKey(new Date('invalid')));
  });

  it('keeps BigInt, number and string of the same digits apart', () => {
    const keys = new Set([canonicalKey(1n), canonicalKey(1), canonicalKey('1'), canonicalKey('1n')]);
    expect(keys.size).toBe(4);
    expect(canonicalKey({ id: 2n ** 70n })).toBe(canonicalKey({ id: 2n ** 70n }));
  });

  it('treats a property set to undefined as absent, but undefined in an array as a value', () => {
    expect(canonicalKey({ a: 1, b: undefined })).toBe(canonicalKey({ a: 1 }));
    expect(canonicalKey([undefined])).not.toBe(canonicalKey([null]));
    expect(canonicalKey([undefined])).not.toBe(canonicalKey([]));
    expect(canonicalKey(undefined)).not.toBe(canonicalKey(null));
  });

  it('keeps strings that look like other types apart from those types', () => {
    const keys = new Set(
      [null, 'null', true, 'true', undefined, 'undefined', {}, '{}', [], '[]', Number.NaN, 'NaN'].map(canonicalKey),
    );
    expect(keys.size).toBe(12);
  });

  it('treats 0 and -0 as the same number', () => {
    expect(canonicalKey(-0)).toBe(canonicalKey(0));
  });

  it('encodes Maps and Sets without regard to insertion order', () => {
    expect(canonicalKey(new Map([['a', 1], ['b', 2]]))).toBe(canonicalKey(new Map([['b', 2], ['a', 1]])));
    expect(canonicalKey(new Set([1, 2]))).toBe(canonicalKey(new Set([2, 1])));
    expect(canonicalKey(new Set([1]))).not.toBe(canonicalKey([1]));
  });

  it('tags class instances with their class name', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    expect(canonicalKey(new Point(1))).not.toBe(canonicalKey({ x: 1 }));
    expect(canonicalKey(Object.assign(Object.create(null) as object, { x: 1 }))).toBe(canonicalKey({ x: 1 }));
  });

  it('accepts the same object referenced twice when it is not a cycle', () => {
    const shared = { id: 1 };
    expect(canonicalKey({ a: shared, b: shared })).toBe(canonicalKey({ a: { id: 1 }, b: { id: 1 } }));
  });

  it('rejects a function with INVALID_INPUT naming where it was found', () => {
    expect(() => canonicalKey({ filter: { where: () => true } })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('a function at `data.filter.where`') }),
    );
  });

  it('rejects a symbol value and a symbol key with INVALID_INPUT', () => {
    expect(() => canonicalKey({ tag: Symbol('x') })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => canonicalKey({ [Symbol('x')]: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('rejects a cycle with INVALID_INPUT instead of overflowing the stack', () => {
    const node: Record<string, unknown> = { id: 1 };
    node.self = node;
    expect(() => canonicalKey([node])).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('a cycle at `data[0].self`') }),
    );
  });

  it('rejects nesting deeper than 100 levels with INVALID_INPUT', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 150; i += 1) deep = [deep];
    expect(() => canonicalKey(deep)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('objects with internal state', () => {
  it('keys URLSearchParams and Headers by their entries, order-free', () => {
    expect(canonicalKey(new URLSearchParams('q=alice'))).not.toBe(canonicalKey(new URLSearchParams('q=bob')));
    expect(canonicalKey(new URLSearchParams('a=1&b=2'))).toBe(canonicalKey(new URLSearchParams('b=2&a=1')));
    expect(canonicalKey(new Headers({ 'x-a': '1' }))).not.toBe(canonicalKey(new Headers({ 'x-a': '2' })));
  });

  it('refuses a class instance whose state is not enumerable instead of keying it as empty', () => {
    class Query {
      readonly #text: string;
      constructor(text: string) {
        this.#text = text;
      }
      get text() {
        return this.#text;
      }
    }
    expect(() => canonicalKey({ query: new Query('alice') })).toThrow(/no enumerable state/);
  });
});
