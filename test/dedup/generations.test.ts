/**
 * Two replicas sharing one store (two dedups over one non-memory store): an invalidation on one
 * cannot be undone by a call that was already running on the other.
 */
import { describe, expect, it } from 'vitest';
import { createDedup, type InvalidateTarget } from '../../src/dedup/index.js';
import { useFakeTimersFromZero } from '../_support/fakeTimers.js';
import { controllableStore, deferred, flush } from './_support.js';

useFakeTimersFromZero();

const DAY_MS = 24 * 60 * 60 * 1000;
const input = (principal: string, params: unknown = { id: 42 }) => ({ operation: 'getProduct', principal, data: params });

function replicas(ttlMs = 60_000) {
  const store = controllableStore();
  return { store, a: createDedup({ store, ttlMs }), b: createDedup({ store, ttlMs }) };
}

const scopes: [string, InvalidateTarget][] = [
  ['the key', { operation: 'getProduct', data: { id: 42 }, principal: 'alice' }],
  ['the params', { operation: 'getProduct', data: { id: 42 } }],
  ['the operation', { operation: 'getProduct' }],
  ['everything', {}],
];

describe('invalidation across replicas sharing a store', () => {
  it.each(scopes)('does not serve a late write from a call that started before %s was invalidated', async (_, target) => {
    const { a, b } = replicas();
    const running = deferred<string>();
    const late = a.run(input('alice'), () => running.promise);
    await flush();
    await b.invalidate(target);
    running.resolve('old');
    expect(await late).toBe('old');
    await flush();
    expect(await b.run(input('alice'), async () => 'new')).toBe('new');
    expect(await a.run(input('alice'), async () => 'newer')).toBe('new');
  });

  it('drops a cached result for every replica when one invalidates it', async () => {
    const { a, b } = replicas();
    await a.run(input('alice'), async () => 'old');
    await flush();
    expect(await b.run(input('alice'), async () => 'unused')).toBe('old');
    await a.invalidate({ operation: 'getProduct', data: { id: 42 }, principal: 'alice' });
    expect(await b.run(input('alice'), async () => 'new')).toBe('new');
  });

  it("keeps other principals' and other params' results when one key is invalidated", async () => {
    const { a, b } = replicas();
    await a.run(input('alice'), async () => 'alice-1');
    await a.run(input('bob'), async () => 'bob-1');
    await a.run(input('alice', { id: 7 }), async () => 'alice-7');
    await flush();
    await b.invalidate({ operation: 'getProduct', data: { id: 42 }, principal: 'alice' });
    expect(await b.run(input('bob'), async () => 'unused')).toBe('bob-1');
    expect(await b.run(input('alice', { id: 7 }), async () => 'unused')).toBe('alice-7');
    expect(await b.run(input('alice'), async () => 'alice-2')).toBe('alice-2');
  });

  it('caches nothing when the generations could not be read', async () => {
    const { store, a } = replicas();
    store.mode = 'reject';
    await a.run(input('alice'), async () => 'value');
    store.mode = 'ok';
    await flush();
    expect(store.calls.filter((c) => c.method === 'set')).toEqual([]);
  });

  it('keeps a result on a shared store no longer than a generation is kept', async () => {
    const { store, a } = replicas(2 * DAY_MS);
    await a.run(input('alice'), async () => 'value');
    await flush();
    const [written] = store.calls.filter((c) => c.method === 'set');
    expect(written?.ttlMs).toBe(DAY_MS);
  });

  it('keeps each generation for a day', async () => {
    const { store, b } = replicas();
    await b.invalidate({ operation: 'getProduct' });
    const [generation] = store.calls.filter((c) => c.method === 'set');
    expect(generation).toMatchObject({ key: 'switchyard:g1:getProduct:', ttlMs: DAY_MS });
    expect(generation?.value).toMatch(/^[0-9a-f]{24}$/);
  });
});
