import { expect, test, vi } from 'vitest';
import { useFakeTimersFromZero } from '../_support/fakeTimers.js';
import { createBreakers, type BreakerOptions, type BreakerStoreErrorState, type Permit } from '../../src/breaker/index.js';
import type { Instance } from '../../src/router/types.js';
import type { Store } from '../../src/stores/types.js';
import { mapStore } from './_mapStore.js';

const a: Instance = { id: 'a' };
const flush = () => vi.advanceTimersByTimeAsync(0);

useFakeTimersFromZero();

/** Two replicas' registries over one store. */
function replicas(store: Store, options: BreakerOptions = {}) {
  const shared = { policy: { kind: 'consecutive', threshold: 1 }, maxEjectedPercent: 100, openMs: 10_000, syncIntervalMs: 1_000, store, ...options } as const;
  return { one: createBreakers(shared), two: createBreakers(shared) };
}

const trip = (breakers: ReturnType<typeof createBreakers>) => (breakers.admit([a], 'op').get('a') as Permit).failure();

test('a breaker opened on one replica is skipped on the other after its next sync', async () => {
  const { store } = mapStore();
  const { one, two } = replicas(store);
  expect(two.admit([a], 'op').get('a')).not.toBe('circuit-open');
  trip(one);
  await flush();
  vi.advanceTimersByTime(1_000);
  // This admission finds the view stale: it starts a read and answers from the current view.
  expect(two.admit([a], 'op').get('a')).not.toBe('circuit-open');
  await flush();
  expect(two.admit([a], 'op').get('a')).toBe('circuit-open');
  expect(two.state('a')).toBe('open');
});

test('a replica reads shared state at most once per `syncIntervalMs` per breaker', async () => {
  const { store, counts } = mapStore();
  const { two } = replicas(store);
  for (let i = 0; i < 10; i += 1) two.admit([a], 'op');
  await flush();
  expect(counts.get).toBe(1);
  vi.advanceTimersByTime(999);
  two.admit([a], 'op');
  expect(counts.get).toBe(1);
  vi.advanceTimersByTime(1);
  two.admit([a], 'op');
  expect(counts.get).toBe(2);
});

test('the other replica goes half-open when the opening replica does, not a full open duration later', async () => {
  const { store } = mapStore();
  const { one, two } = replicas(store);
  trip(one);
  await flush();
  vi.advanceTimersByTime(4_000);
  two.admit([a], 'op');
  await flush();
  expect(two.state('a')).toBe('open');
  vi.advanceTimersByTime(6_000);
  expect([one.state('a'), two.state('a')]).toEqual(['half-open', 'half-open']);
});

test('reports the adopted open as a state change with reason shared-state', async () => {
  const { store } = mapStore();
  const changes: unknown[] = [];
  const { one, two } = replicas(store, { on: { stateChange: (s) => changes.push(s) } });
  trip(one);
  await flush();
  changes.length = 0;
  two.admit([a], 'op');
  await flush();
  expect(changes).toEqual([{ key: 'a', instanceId: 'a', from: 'closed', to: 'open', reason: 'shared-state', openMs: 10_000 }]);
});

test('writes an open breaker with a TTL of its open duration, doubling with it', async () => {
  const { store, entries } = mapStore();
  const { one } = replicas(store);
  trip(one);
  await flush();
  expect(entries.get('switchyard:breaker:a')?.expiresAt).toBe(10_000);
  vi.advanceTimersByTime(10_000);
  trip(one);
  await flush();
  expect(entries.get('switchyard:breaker:a')?.expiresAt).toBe(30_000);
});

test("under 'instance+operation' scope replicas share each operation's breaker under its own key", async () => {
  const { store, entries } = mapStore();
  const { one, two } = replicas(store, { scope: 'instance+operation' });
  (one.admit([a], 'get orders').get('a') as Permit).failure();
  await flush();
  expect([...entries.keys()]).toEqual(['switchyard:breaker:a/get%20orders']);
  two.admit([a], 'get orders');
  two.admit([a], 'get users');
  await flush();
  expect([two.state('a', 'get orders'), two.state('a', 'get users')]).toEqual(['open', 'closed']);
});

test('a failing store is reported to `on.storeError` and never changes an admission', async () => {
  const errors: BreakerStoreErrorState[] = [];
  const broken: Store = {
    get: () => Promise.reject(new Error('connection refused')),
    set: () => {
      throw new Error('not connected');
    },
    delete: async () => {},
    deletePrefix: async () => {},
  };
  const breakers = createBreakers({ policy: { kind: 'consecutive', threshold: 1 }, maxEjectedPercent: 100, store: broken, on: { storeError: (s) => errors.push(s) } });
  trip(breakers);
  await flush();
  expect(breakers.admit([a], 'op').get('a')).toBe('circuit-open');
  expect(errors.map((e) => e.action).sort()).toEqual(['get', 'set']);
});

test('keeps at most 64 writes pending and reports the ones it drops', async () => {
  const errors: BreakerStoreErrorState[] = [];
  const writes: (() => void)[] = [];
  const slow: Store = {
    get: async () => undefined,
    set: () => new Promise<void>((resolve) => writes.push(resolve)),
    delete: async () => {},
    deletePrefix: async () => {},
  };
  const breakers = createBreakers({ policy: { kind: 'consecutive', threshold: 1 }, maxEjectedPercent: 100, store: slow, on: { storeError: (s) => errors.push(s) } });
  for (let i = 0; i < 70; i += 1) (breakers.admit([{ id: `i${i}` }], 'op').get(`i${i}`) as Permit).failure();
  expect(writes).toHaveLength(64);
  expect(errors).toHaveLength(6);
  for (const resolve of writes) resolve();
  await flush();
  (breakers.admit([{ id: 'late' }], 'op').get('late') as Permit).failure();
  expect(writes).toHaveLength(65);
});

test('an unreadable record is treated as absent', async () => {
  const { store, entries } = mapStore();
  entries.set('switchyard:breaker:a', { value: 'not json', expiresAt: 60_000 });
  const { two } = replicas(store);
  two.admit([a], 'op');
  await flush();
  expect(two.state('a')).toBe('closed');
});

test('two registries share an open breaker through the memory store, which forgets it when the open duration ends', async () => {
  const { memoryStore } = await import('../../src/stores/memoryStore.js');
  // lru-cache takes a write at time 0 for one without a start, which never expires.
  vi.setSystemTime(1_000);
  const store = memoryStore();
  const { one, two } = replicas(store);
  trip(one);
  await flush();
  two.admit([a], 'op');
  await flush();
  expect(two.state('a')).toBe('open');
  vi.advanceTimersByTime(10_001);
  expect(await store.get('switchyard:breaker:a')).toBeUndefined();
});
