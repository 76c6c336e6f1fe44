/**
 * Principals never share: whatever mix of calls runs at once or one after another, on one replica
 * or two sharing a store, a caller only ever receives a result executed for its own principal,
 * operation and params (or, with no principal, its own execution unless the call is `shared`).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { canonicalKey } from '../../src/dedup/canonicalKey.js';
import { createDedup, type Dedup } from '../../src/dedup/index.js';
import { memoryStore } from '../../src/stores/memoryStore.js';
import type { Store } from '../../src/stores/types.js';
import { leftoverResourcesSettled } from '../_support/resources.js';
import { params } from './_seed.js';

let before: string[] = [];
beforeAll(() => {
  before = process.getActiveResourcesInfo();
});
afterAll(async () => {
  // Every store timeout a remote-store read set was cleared when the store answered.
  expect(await leftoverResourcesSettled(before)).toEqual([]);
});

interface Call {
  replica: 0 | 1;
  operation: string;
  principal: string | undefined;
  shared: boolean;
  params: Record<string, unknown>;
  /** Microtask turns the execution takes, so calls overlap in many ways. */
  turns: number;
}

// Principals and operations that would meet if a key were built by plain concatenation.
const principals = ['alice', 'bob', 'alice\u0000p:bob', 'p:alice', 's', '', '\u0000', 'ALICE'] as const;
const operations = ['getUser', 'getUser\u0000p:alice', 'getUser:', 'getuser'] as const;
const paramsPool = [{ id: 1 }, { id: '1' }, { id: 1, tab: 'a' }, { tab: 'a', id: 1 }, {}, { id: [1] }];

const call: fc.Arbitrary<Call> = fc.record({
  replica: fc.constantFrom(0 as const, 1 as const),
  operation: fc.constantFrom(...operations),
  principal: fc.option(fc.oneof(fc.constantFrom(...principals), fc.string({ maxLength: 4 })), { nil: undefined }),
  shared: fc.boolean(),
  params: fc.constantFrom(...paramsPool),
  turns: fc.nat({ max: 6 }),
});

/** A store shared by two replicas; not a memory store, so dedup treats it as remote. */
function sharedStore(): Store {
  const inner = memoryStore();
  return {
    get: (key) => inner.get(key),
    set: (key, value, options) => inner.set(key, value, options),
    delete: (key) => inner.delete(key),
    deletePrefix: (prefix) => inner.deletePrefix(prefix),
  };
}

/** Who may receive a result: the owner of the call, as dedup's contract defines it. */
function ownerOf(c: Call, index: number): string {
  const principal = c.principal === '' ? undefined : c.principal;
  const who = principal !== undefined ? `principal:${principal}` : c.shared ? 'shared' : `call:${index}`;
  return JSON.stringify([who, c.operation, canonicalKey(c.params)]);
}

async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) await Promise.resolve();
}

async function runBatches(replicas: Dedup[], batches: Call[][]): Promise<void> {
  let index = 0;
  for (const batch of batches) {
    await Promise.all(
      batch.map(async (c) => {
        const own = ownerOf(c, index);
        index += 1;
        const result = await replicas[c.replica]!.run(
          { operation: c.operation, principal: c.principal, data: c.params, shared: c.shared },
          async () => {
            await turns(c.turns);
            return own;
          },
        );
        expect(result).toBe(own);
      }),
    );
  }
}

it('never serves a caller a result executed for another principal, operation or params', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(call, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 3 }), fc.boolean(), async (batches, shareStore) => {
      const store = shareStore ? sharedStore() : undefined;
      const replicas = [0, 1].map(() => createDedup({ ttlMs: 60_000, ...(store ? { store, storeTimeoutMs: 60_000 } : {}) }));
      await runBatches(replicas, batches);
    }),
    params(300),
  );
});

it('never serves across principals around invalidations either', async () => {
  const invalidation = fc.oneof(
    fc.constant({}),
    fc.record({ operation: fc.constantFrom(...operations) }),
    fc.record({ operation: fc.constantFrom(...operations), data: fc.constantFrom(...paramsPool) }),
    fc.record({ operation: fc.constantFrom(...operations), data: fc.constantFrom(...paramsPool), principal: fc.constantFrom('alice', 'bob') }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.array(call, { minLength: 1, maxLength: 8 }), invalidation), { minLength: 1, maxLength: 3 }), async (steps) => {
      const store = sharedStore();
      const replicas = [0, 1].map(() => createDedup({ store, ttlMs: 60_000, storeTimeoutMs: 60_000 }));
      for (const [batch, target] of steps) {
        const running = runBatches(replicas, [batch]);
        await replicas[1]!.invalidate(target);
        await running;
      }
    }),
    params(200),
  );
});
