import { describe, expect, it } from 'vitest';
import { createLru } from '../../src/_internal/lru.js';

describe('createLru', () => {
  it('drops the least recently used entry when it holds more than `max`', () => {
    const lru = createLru<number>({ max: 2 });
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect([...lru.keys()]).toEqual(['a', 'c']);
    expect(lru.get('b')).toBeUndefined();
  });

  it('drops the oldest entries until the total size fits `maxSize`', () => {
    const lru = createLru<string>({ max: 10, maxSize: 5, sizeOf: (value) => value.length });
    lru.set('a', 'xx');
    lru.set('b', 'yy');
    lru.set('c', 'zzz');
    expect([...lru.keys()]).toEqual(['b', 'c']);
  });

  it('does not store a value larger than `maxSize` on its own and forgets the old value of its key', () => {
    const lru = createLru<string>({ max: 10, maxSize: 3, sizeOf: (value) => value.length });
    lru.set('a', 'x');
    lru.set('a', 'toolong');
    expect(lru.get('a')).toBeUndefined();
    lru.set('b', 'abc');
    expect(lru.get('b')).toBe('abc');
  });

  it('frees the size of deleted and cleared entries', () => {
    const lru = createLru<string>({ max: 10, maxSize: 4, sizeOf: (value) => value.length });
    lru.set('a', 'xxxx');
    lru.delete('a');
    lru.set('b', 'yyyy');
    expect(lru.get('b')).toBe('yyyy');
    lru.clear();
    lru.set('c', 'zzzz');
    expect([...lru.keys()]).toEqual(['c']);
  });
});
