import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/_internal/clock.js';
import { versionedCache, type Loaded } from '../../src/postgres/_versionedCache.js';

interface Deferred {
  keys: readonly string[] | 'all';
  resolve(rows: Map<string, Loaded<string>>): void;
}

/** A cache whose loads wait until the test answers them, so overlaps can be staged exactly. */
function staged() {
  const pending: Deferred[] = [];
  const cache = versionedCache<string>({
    max: 100,
    ttlMs: 60_000,
    negativeTtlMs: 60_000,
    clock: systemClock,
    load: (keys) => new Promise((resolve) => pending.push({ keys, resolve })),
  });
  const answer = async (value: string | undefined, version = 1) => {
    await Promise.resolve();
    const next = pending.shift()!;
    const rows = new Map<string, Loaded<string>>();
    if (value !== undefined) for (const key of next.keys === 'all' ? ['k'] : next.keys) rows.set(key, { value, rows: new Map([['', version]]) });
    next.resolve(rows);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { cache, pending, answer };
}

describe('versionedCache', () => {
  it('shares one load between concurrent callers and answers later ones synchronously', async () => {
    const { cache, pending, answer } = staged();
    const first = cache.get('k');
    const second = cache.get('k');
    expect(pending).toHaveLength(1);
    await answer('v1');
    expect(await first).toBe('v1');
    expect(await second).toBe('v1');
    expect(cache.get('k')).toBe('v1');
  });

  it('does not cache a load that overlapped a change of its key, and reads again', async () => {
    const { cache, pending, answer } = staged();
    const lookup = cache.get('k');
    expect(cache.apply({ key: 'k', row: '', version: 2, deleted: false })).toBe(true);
    await answer('before the change', 1);
    expect(pending).toHaveLength(1);
    await answer('after the change', 2);
    expect(await lookup).toBe('after the change');
    expect(cache.get('k')).toBe('after the change');
  });

  it('ignores a notification not newer than the cached row, and drops the entry for a newer one', async () => {
    const { cache, answer } = staged();
    const lookup = cache.get('k');
    await answer('v5', 5);
    await lookup;
    expect(cache.apply({ key: 'k', row: '', version: 5, deleted: false })).toBe(false);
    expect(cache.apply({ key: 'k', row: '', version: 4, deleted: false })).toBe(false);
    expect(cache.get('k')).toBe('v5');
    expect(cache.apply({ key: 'k', row: '', version: 6, deleted: false })).toBe(true);
    expect(cache.get('k')).toBeInstanceOf(Promise);
  });

  it('drops a cached "unknown" on an insert, and ignores a delete of a row it does not hold', async () => {
    const { cache, answer } = staged();
    const lookup = cache.get('k');
    await answer(undefined);
    expect(await lookup).toBeUndefined();
    expect(cache.get('k')).toBeUndefined();
    expect(cache.apply({ key: 'k', row: '', version: 9, deleted: true })).toBe(false);
    expect(cache.apply({ key: 'k', row: '', version: 10, deleted: false })).toBe(true);
    expect(cache.get('k')).toBeInstanceOf(Promise);
  });

  it('reloads what it holds on reconnect and drops what is gone', async () => {
    const { cache, pending, answer } = staged();
    const a = cache.get('k');
    await answer('old', 1);
    await a;
    const reload = cache.reload('cached');
    expect(pending[0]?.keys).toEqual(['k']);
    await answer(undefined);
    await reload;
    expect(cache.get('k')).toBeInstanceOf(Promise);
  });
});
