/**
 * The one conformance suite every `Store` passes (hono's router common cases): memory runs it in
 * test/stores/memory.test.ts, Redis in test/integration/redis-store.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/stores/types.js';

export interface StoreHarness {
  store: Store;
  /** Lets `ms` of time pass for TTLs: a fake clock for memory, a real wait for Redis. */
  advance(ms: number): Promise<void>;
}

/** Registers the conformance cases; `create` is called once per test and must give a fresh store. */
export function storeConformance(name: string, create: () => Promise<StoreHarness>): void {
  // Long enough that a real Redis never expires an entry early under load, short enough to wait for.
  const ttlMs = 400;

  describe(`${name} conformance`, () => {
    it('answers at once after ready() resolves, when the store has it', async () => {
      const { store } = await create();
      await store.ready?.();
      await store.set('k', 'v', { ttlMs: 60_000 });
      expect(await store.get('k')).toBe('v');
    });

    it('answers undefined for a key that was never set', async () => {
      const { store } = await create();
      expect(await store.get('missing')).toBeUndefined();
    });

    it('returns the exact string that was set, unicode and empty included', async () => {
      const { store } = await create();
      const values = ['{"a":1}', '', 'ünïcødé 😀 \u0000 end', 'x'.repeat(200_000)];
      for (const [i, value] of values.entries()) await store.set(`k${i}`, value, { ttlMs: 60_000 });
      for (const [i, value] of values.entries()) expect(await store.get(`k${i}`)).toBe(value);
    });

    it('replaces the value when a key is set again', async () => {
      const { store } = await create();
      await store.set('k', 'one', { ttlMs: 60_000 });
      await store.set('k', 'two', { ttlMs: 60_000 });
      expect(await store.get('k')).toBe('two');
    });

    it('keeps a value until its TTL and drops it after', async () => {
      const { store, advance } = await create();
      await store.set('k', 'v', { ttlMs });
      await advance(ttlMs / 2);
      expect(await store.get('k')).toBe('v');
      await advance(ttlMs / 2 + 100);
      expect(await store.get('k')).toBeUndefined();
    });

    it('restarts the TTL when a key is set again', async () => {
      const { store, advance } = await create();
      await store.set('k', 'old', { ttlMs });
      await advance(ttlMs / 2);
      await store.set('k', 'new', { ttlMs });
      await advance(ttlMs / 2 + 50);
      expect(await store.get('k')).toBe('new');
    });

    it('rejects a TTL that is zero, negative or not finite with INVALID_INPUT', async () => {
      const { store } = await create();
      for (const bad of [0, -1, Number.POSITIVE_INFINITY, Number.NaN]) {
        await expect(store.set('k', 'v', { ttlMs: bad })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      }
      expect(await store.get('k')).toBeUndefined();
    });

    it('accepts a fractional TTL by rounding it up', async () => {
      const { store } = await create();
      await store.set('k', 'v', { ttlMs: 60_000.5 });
      expect(await store.get('k')).toBe('v');
    });

    it('deletes one key and leaves the others', async () => {
      const { store } = await create();
      await store.set('a', '1', { ttlMs: 60_000 });
      await store.set('ab', '2', { ttlMs: 60_000 });
      await store.delete('a');
      expect(await store.get('a')).toBeUndefined();
      expect(await store.get('ab')).toBe('2');
    });

    it('resolves when deleting a key that does not exist', async () => {
      const { store } = await create();
      await expect(store.delete('never')).resolves.toBeUndefined();
    });

    it('deletes every key that starts with a prefix, the prefix itself included, and nothing else', async () => {
      const { store } = await create();
      for (const key of ['op:1', 'op:2', 'op:', 'op', 'other:1', 'xop:1']) await store.set(key, key, { ttlMs: 60_000 });
      await store.deletePrefix('op:');
      const left: string[] = [];
      for (const key of ['op:1', 'op:2', 'op:', 'op', 'other:1', 'xop:1']) if ((await store.get(key)) !== undefined) left.push(key);
      expect(left).toEqual(['op', 'other:1', 'xop:1']);
    });

    it('treats glob characters in a prefix literally', async () => {
      const { store } = await create();
      for (const key of ['a*:1', 'ab:1', 'a?:1', 'a[b]:1', 'a\\:1']) await store.set(key, 'v', { ttlMs: 60_000 });
      await store.deletePrefix('a*');
      await store.deletePrefix('a[b]');
      expect(await store.get('a*:1')).toBeUndefined();
      expect(await store.get('a[b]:1')).toBeUndefined();
      expect(await store.get('ab:1')).toBe('v');
      expect(await store.get('a?:1')).toBe('v');
      expect(await store.get('a\\:1')).toBe('v');
    });

    it('deletes a prefix that covers more keys than one scan step', async () => {
      const { store } = await create();
      await Promise.all(Array.from({ length: 1_500 }, (_, i) => store.set(`bulk:${i}`, String(i), { ttlMs: 60_000 })));
      await store.set('keep', 'v', { ttlMs: 60_000 });
      await store.deletePrefix('bulk:');
      const found = await Promise.all(Array.from({ length: 1_500 }, (_, i) => store.get(`bulk:${i}`)));
      expect(found.filter((v) => v !== undefined)).toHaveLength(0);
      expect(await store.get('keep')).toBe('v');
    });
  });
}
