import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDedup, type DedupOptions } from '../../src/dedup/index.js';
import { controllableStore, deferred, flush } from './_support.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});

const input = (principal: string | undefined, params: unknown = { id: 42 }) => ({ operation: 'getProduct', principal, data: params });

/** A dedup whose execute counts its calls and answers `answer()`. */
function counting(options: DedupOptions, answer: (n: number) => unknown = (n) => ({ version: n })) {
  const dedup = createDedup(options);
  let executions = 0;
  const execute = async () => answer(++executions);
  return { dedup, execute, count: () => executions };
}

describe('result cache', () => {
  it('executes again once ttlMs has passed', async () => {
    const { dedup, execute, count } = counting({ ttlMs: 1_000 });
    await dedup.run(input('alice'), execute);
    await vi.advanceTimersByTimeAsync(999);
    expect(await dedup.run(input('alice'), execute)).toEqual({ version: 1 });
    await vi.advanceTimersByTimeAsync(1);
    expect(await dedup.run(input('alice'), execute)).toEqual({ version: 2 });
    expect(count()).toBe(2);
  });

  it('uses a per-call ttlMs over the default', async () => {
    const { dedup, execute, count } = counting({ ttlMs: 60_000 });
    await dedup.run({ ...input('alice'), ttlMs: 100 }, execute);
    await vi.advanceTimersByTimeAsync(100);
    await dedup.run({ ...input('alice'), ttlMs: 100 }, execute);
    expect(count()).toBe(2);
  });

  it('never touches the store when ttlMs is 0', async () => {
    const store = controllableStore();
    const { dedup, execute, count } = counting({ store });
    await dedup.run(input('alice'), execute);
    await dedup.run(input('alice'), execute);
    expect(count()).toBe(2);
    expect(store.calls).toEqual([]);
  });

  it('returns a fresh copy on every hit, so one caller mutating it cannot affect another', async () => {
    const { dedup, execute } = counting({ ttlMs: 1_000 });
    await dedup.run(input('alice'), execute);
    const first = (await dedup.run(input('alice'), execute)) as { version: number };
    first.version = 999;
    expect(await dedup.run(input('alice'), execute)).toEqual({ version: 1 });
  });

  it('caches an undefined result', async () => {
    const { dedup, execute, count } = counting({ ttlMs: 1_000 }, () => undefined);
    await dedup.run(input('alice'), execute);
    expect(await dedup.run(input('alice'), execute)).toBeUndefined();
    expect(count()).toBe(1);
  });

  it('returns but does not cache a result that is not plain JSON data, and says so', async () => {
    const notCached: unknown[] = [];
    const { dedup, execute, count } = counting({ ttlMs: 1_000, on: { notCached: (s) => notCached.push(s) } }, () => ({
      at: new Date(0),
    }));
    expect(await dedup.run(input('alice'), execute)).toEqual({ at: new Date(0) });
    await dedup.run(input('alice'), execute);
    expect(count()).toBe(2);
    expect(notCached[0]).toEqual({ operation: 'getProduct', reason: 'not-serialisable' });
  });

  it('returns but does not cache a result over maxValueBytes, and says so', async () => {
    const notCached: unknown[] = [];
    const { dedup, execute, count } = counting(
      { ttlMs: 1_000, maxValueBytes: 1_000, on: { notCached: (s) => notCached.push(s) } },
      () => ({ text: '€'.repeat(400) }),
    );
    await dedup.run(input('alice'), execute);
    await dedup.run(input('alice'), execute);
    expect(count()).toBe(2);
    const entry = `{"f":${Date.now() + 1_000},"v":${JSON.stringify({ text: '€'.repeat(400) })}}`;
    expect(notCached[0]).toEqual({ operation: 'getProduct', reason: 'too-large', bytes: Buffer.byteLength(entry) });
  });

  it('writes namespaced, hashed keys with no raw principal or params', async () => {
    const store = controllableStore();
    const dedup = createDedup({ store, ttlMs: 1_000, namespace: 'bff' });
    await dedup.run(input('alice@example.com', { sku: 'SECRET-SKU' }), async () => 1);
    const keys = store.calls.map((c) => c.key);
    // The entry (read, then written) and the four generation keys that guard it.
    expect(keys.filter((key) => key.startsWith('bff:v1:'))).toHaveLength(2);
    expect(keys.filter((key) => key.startsWith('bff:g1:'))).toEqual([
      'bff:g1:',
      'bff:g1:getProduct:',
      expect.stringMatching(/^bff:g1:getProduct:[0-9a-f]{32}:$/),
      expect.stringMatching(/^bff:g1:getProduct:[0-9a-f]{32}:[0-9a-f]{32}$/),
    ]);
    for (const key of keys) {
      expect(key).toMatch(/^bff:(v1:getProduct:[0-9a-f]{32}:[0-9a-f]{32}|g1:.*)$/);
      expect(key).not.toContain('alice');
      expect(key).not.toContain('SECRET');
    }
  });
});

describe('stale-while-revalidate', () => {
  it('serves the stale result at once and refreshes it in the background', async () => {
    const hits: unknown[] = [];
    const { dedup, execute, count } = counting({ ttlMs: 1_000, staleWhileRevalidateMs: 5_000, on: { hit: (s) => hits.push(s) } });
    await dedup.run(input('alice'), execute);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await dedup.run(input('alice'), execute)).toEqual({ version: 1 });
    await flush();
    expect(count()).toBe(2);
    expect(await dedup.run(input('alice'), execute)).toEqual({ version: 2 });
    expect(hits).toEqual([
      { operation: 'getProduct', stale: true },
      { operation: 'getProduct', stale: false },
    ]);
  });

  it('starts one refresh for many stale hits', async () => {
    const gate = deferred<void>();
    const dedup = createDedup({ ttlMs: 1_000, staleWhileRevalidateMs: 5_000 });
    let executions = 0;
    const execute = async () => {
      executions += 1;
      if (executions > 1) await gate.promise;
      return executions;
    };
    await dedup.run(input('alice'), execute);
    await vi.advanceTimersByTimeAsync(2_000);
    for (let i = 0; i < 5; i += 1) expect(await dedup.run(input('alice'), execute)).toBe(1);
    expect(executions).toBe(2);
    gate.resolve();
    await flush();
    expect(await dedup.run(input('alice'), execute)).toBe(2);
    expect(executions).toBe(2);
  });

  it('keeps serving the stale result when the refresh fails, and reports it', async () => {
    const refreshErrors: unknown[] = [];
    const dedup = createDedup({ ttlMs: 1_000, staleWhileRevalidateMs: 5_000, on: { refreshError: (s) => refreshErrors.push(s) } });
    await dedup.run(input('alice'), async () => 'old');
    await vi.advanceTimersByTimeAsync(2_000);
    const failure = new Error('refresh failed');
    expect(await dedup.run(input('alice'), () => Promise.reject(failure))).toBe('old');
    await flush();
    expect(refreshErrors).toEqual([{ operation: 'getProduct', error: failure }]);
    expect(await dedup.run(input('alice'), async () => 'new')).toBe('old');
  });

  it('executes once the stale window has passed too', async () => {
    const { dedup, execute, count } = counting({ ttlMs: 1_000, staleWhileRevalidateMs: 1_000 });
    await dedup.run(input('alice'), execute);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await dedup.run(input('alice'), execute)).toEqual({ version: 2 });
    expect(count()).toBe(2);
  });
});

describe('invalidate', () => {
  async function seeded() {
    const dedup = createDedup({ ttlMs: 60_000 });
    let executions = 0;
    const execute = async () => ++executions;
    const cells = [
      { ...input('alice', { id: 1 }) },
      { ...input('bob', { id: 1 }) },
      { ...input('alice', { id: 2 }) },
      { ...input('alice', { id: 1 }), operation: 'other' },
    ];
    for (const cell of cells) await dedup.run(cell, execute);
    /** Which cells execute again (true) after an invalidation. */
    const reran = async () => {
      const out: boolean[] = [];
      for (const cell of cells) {
        const mark = executions;
        await dedup.run(cell, execute);
        out.push(executions > mark);
      }
      return out;
    };
    return { dedup, reran };
  }

  it('drops one key: operation, data and principal', async () => {
    const { dedup, reran } = await seeded();
    await dedup.invalidate({ operation: 'getProduct', data: { id: 1 }, principal: 'alice' });
    expect(await reran()).toEqual([true, false, false, false]);
  });

  it("drops one call's data of an operation for every principal", async () => {
    const { dedup, reran } = await seeded();
    await dedup.invalidate({ operation: 'getProduct', data: { id: 1 } });
    expect(await reran()).toEqual([true, true, false, false]);
  });

  it('drops a whole operation', async () => {
    const { dedup, reran } = await seeded();
    await dedup.invalidate({ operation: 'getProduct' });
    expect(await reran()).toEqual([true, true, true, false]);
  });

  it('drops everything', async () => {
    const { dedup, reran } = await seeded();
    await dedup.invalidate();
    expect(await reran()).toEqual([true, true, true, true]);
  });

  it('detaches a matching call in flight: its callers get the result, later callers start afresh, nothing is cached', async () => {
    const dedup = createDedup({ ttlMs: 60_000 });
    const gate = deferred<void>();
    let executions = 0;
    const execute = async () => {
      const n = ++executions;
      if (n === 1) await gate.promise;
      return n;
    };
    const before = dedup.run(input('alice'), execute);
    await flush();
    await dedup.invalidate({ operation: 'getProduct' });
    const after = dedup.run(input('alice'), execute);
    gate.resolve();
    expect([await before, await after]).toEqual([1, 2]);
    expect(await dedup.run(input('alice'), execute)).toBe(2);
  });

  it('rejects a principal without data, or data without an operation, with INVALID_INPUT', async () => {
    const dedup = createDedup();
    await expect(dedup.invalidate({ operation: 'getProduct', principal: 'alice' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(dedup.invalidate({ data: { id: 1 } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('rejects a target field it does not know, naming it, instead of dropping more than asked', async () => {
    const dedup = createDedup();
    const target = { operation: 'getProduct', params: { id: 1 } } as Parameters<typeof dedup.invalidate>[0];
    await expect(dedup.invalidate(target)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('`params`') });
  });

  it('rejects with UPSTREAM_ERROR when the store fails, without its message', async () => {
    const store = controllableStore();
    const errors: unknown[] = [];
    const dedup = createDedup({ store, on: { storeError: (s) => errors.push(s) } });
    store.mode = 'reject';
    const failure = await dedup.invalidate({ operation: 'getProduct' }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect((failure as Error).message).not.toContain('10.0.0.7');
    expect(errors).toMatchObject([{ phase: 'invalidate', operation: 'getProduct' }]);
  });
});

describe('a failing or slow store', () => {
  it('executes when the store rejects, and reports it', async () => {
    const store = controllableStore();
    const errors: unknown[] = [];
    const { dedup, execute, count } = counting({ store, ttlMs: 1_000, on: { storeError: (s) => errors.push(s) } });
    store.mode = 'reject';
    expect(await dedup.run(input('alice'), execute)).toEqual({ version: 1 });
    expect(count()).toBe(1);
    expect(errors).toMatchObject([{ operation: 'getProduct', phase: 'get', timedOut: false }]);
  });

  it('waits at most storeTimeoutMs for a store that does not answer, then executes', async () => {
    const store = controllableStore();
    const errors: unknown[] = [];
    const { dedup, execute, count } = counting({ store, ttlMs: 1_000, storeTimeoutMs: 50, on: { storeError: (s) => errors.push(s) } });
    store.mode = 'hang';
    let settled = false;
    const call = dedup.run(input('alice'), execute).finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(49);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await call).toEqual({ version: 1 });
    expect(count()).toBe(1);
    expect(errors).toMatchObject([{ phase: 'get', timedOut: true }]);
  });

  it('skips the store for storeRetryMs after a failure, then uses it again', async () => {
    const store = controllableStore();
    const { dedup, execute, count } = counting({ store, ttlMs: 60_000, storeRetryMs: 1_000 });
    store.mode = 'reject';
    await dedup.run(input('alice'), execute);
    store.mode = 'ok';
    store.calls.length = 0;
    await dedup.run(input('alice'), execute);
    expect(store.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    await dedup.run(input('alice'), execute);
    expect(await dedup.run(input('alice'), execute)).toEqual({ version: 3 });
    expect(count()).toBe(3);
    const entryCalls = store.calls.filter((c) => c.key.includes(':v1:'));
    expect(entryCalls.map((c) => c.method)).toEqual(['get', 'set', 'get']);
  });

  it('returns the result when writing to the store fails, and reports it', async () => {
    const store = controllableStore();
    const errors: { phase: string }[] = [];
    const dedup = createDedup({ store, ttlMs: 1_000, on: { storeError: (s) => errors.push(s) } });
    const original = store.set;
    store.set = () => Promise.reject(new Error('OOM command not allowed'));
    expect(await dedup.run(input('alice'), async () => 'value')).toBe('value');
    await flush();
    store.set = original;
    expect(errors.map((e) => e.phase)).toEqual(['set']);
  });

  it('ignores an entry it cannot read and executes', async () => {
    const store = controllableStore();
    const errors: { phase: string }[] = [];
    const dedup = createDedup({ store, ttlMs: 1_000, on: { storeError: (s) => errors.push(s) } });
    await dedup.run(input('alice'), async () => 'value');
    const key = store.calls.find((c) => c.method === 'set')!.key;
    await store.set(key, 'not json', { ttlMs: 1_000 });
    expect(await dedup.run(input('alice'), async () => 'fresh')).toBe('fresh');
    expect(errors.map((e) => e.phase)).toEqual(['decode']);
  });

  it('answers the same when every hook throws', async () => {
    const boom = () => {
      throw new Error('hook');
    };
    const dedup = createDedup({ ttlMs: 1_000, on: { miss: boom, hit: boom, join: boom, bypass: boom } });
    const results = await Promise.all([dedup.run(input('alice'), async () => 1), dedup.run(input('alice'), async () => 2)]);
    expect(results).toEqual([1, 1]);
    expect(await dedup.run(input('alice'), async () => 3)).toBe(1);
    expect(await dedup.run(input(undefined), async () => 4)).toBe(4);
  });
});
