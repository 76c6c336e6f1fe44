import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/_internal/clock.js';
import { memoryStore } from '../../src/stores/memoryStore.js';
import { storeConformance } from './store.cases.js';

function manualClock(): Clock & { advance(ms: number): void } {
  let now = 1_000_000;
  return {
    now: () => now,
    setTimeout: () => {
      throw new Error('the memory store must not set timers');
    },
    clearTimeout: () => {},
    advance: (ms) => {
      now += ms;
    },
  };
}

storeConformance('memoryStore', async () => {
  const clock = manualClock();
  return { store: memoryStore({ clock }), advance: async (ms) => clock.advance(ms) };
});

describe('memoryStore limits', () => {
  it('evicts the least recently used entry past maxEntries', async () => {
    const store = memoryStore({ maxEntries: 2, clock: manualClock() });
    await store.set('a', '1', { ttlMs: 1_000 });
    await store.set('b', '2', { ttlMs: 1_000 });
    await store.get('a');
    await store.set('c', '3', { ttlMs: 1_000 });
    expect([await store.get('a'), await store.get('b'), await store.get('c')]).toEqual(['1', undefined, '3']);
  });

  it('does not keep a value larger than maxSizeBytes', async () => {
    const store = memoryStore({ maxSizeBytes: 100, clock: manualClock() });
    await store.set('small', 'x'.repeat(50), { ttlMs: 1_000 });
    await store.set('big', 'x'.repeat(200), { ttlMs: 1_000 });
    expect(await store.get('big')).toBeUndefined();
    expect(await store.get('small')).toBe('x'.repeat(50));
  });

  it('rejects a bad option with a message naming the field', () => {
    expect(() => memoryStore({ maxEntries: 0 })).toThrow('Expected `maxEntries` to be an integer >= 1, got 0');
  });
});

describe('memoryStore expiry', () => {
  it('expires an entry written at clock 0, and at exactly its TTL as Redis does', async () => {
    let now = 0;
    const clock = { now: () => now, setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout } as never;
    const store = memoryStore({ clock });
    await store.set('k', 'v', { ttlMs: 100 });
    now = 99;
    expect(await store.get('k')).toBe('v');
    now = 100;
    expect(await store.get('k')).toBeUndefined();
  });
});
