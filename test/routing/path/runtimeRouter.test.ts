import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSwitchyardError } from '../../../src/index.js';
import { createManualClock } from '../../../src/testing/index.js';
import { proxyForward } from '../../../src/http/index.js';
import {
  createRuntimeRouter,
  type Forward,
  type RouteTable,
  type RuntimeRouterOptions,
  type TableLoadErrorState,
} from '../../../src/routing/index.js';

const TABLES: Record<string, RouteTable> = {
  fn1: { '/api/*': 'https://api-v1.internal', '/*': 'https://frontend.internal' },
  fn2: { '/orders/*': 'https://orders.internal' },
};

function loader(tables: Record<string, RouteTable | null> = { ...TABLES }) {
  const calls: string[] = [];
  const load = async (key: string) => {
    calls.push(key);
    const table = tables[key];
    if (table === undefined) throw new Error(`no such function ${key} in postgres://secret@db`);
    return table;
  };
  return { load, calls, tables };
}

/** A forward that answers with the URL it was asked to reach, so tests see where a request went. */
const echo: Forward = async (_request, target) => new Response(target.url, { status: 200 });

function router(options: Partial<RuntimeRouterOptions> & Pick<RuntimeRouterOptions, 'load'>) {
  return createRuntimeRouter({ forward: echo, ...options });
}

/** Lets background work (a reload, its hooks) finish without moving fake time. */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

/** A loader whose calls stay pending until a test settles them. */
function manualLoader() {
  const calls: { key: string; signal: AbortSignal; resolve(table: RouteTable): void; reject(error: Error): void }[] = [];
  const load = (key: string, { signal }: { signal: AbortSignal }) =>
    new Promise<RouteTable>((resolve, reject) => calls.push({ key, signal, resolve, reject }));
  return { load, calls };
}

async function targetOf(r: ReturnType<typeof router>, key: string, path: string): Promise<string | null> {
  return (await r.match(key, { path }))?.target?.url ?? null;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('table cache', () => {
  it('loads a table once and serves it from the cache until the TTL passes', async () => {
    const source = loader();
    const r = router({ load: source.load, ttlMs: 1_000 });
    await r.match('fn1', { path: '/api/a' });
    vi.advanceTimersByTime(999);
    await r.match('fn1', { path: '/api/b' });
    expect([source.calls, r.stats()]).toEqual([['fn1'], { hits: 1, stale: 0, misses: 1, loads: 1, errors: 0, backedOff: 0, size: 1, ttlMs: 1_000 }]);
  });

  it('once the TTL has passed, answers from the stale table and routes by the reloaded one after it loads', async () => {
    const source = loader();
    const r = router({ load: source.load, ttlMs: 1_000 });
    expect(await targetOf(r, 'fn1', '/api/a')).toBe('https://api-v1.internal/a');
    source.tables.fn1 = { '/api/*': 'https://api-v2.internal' };
    vi.advanceTimersByTime(1_001);
    const whileReloading = await targetOf(r, 'fn1', '/api/a');
    await settle();
    expect([whileReloading, await targetOf(r, 'fn1', '/api/a'), source.calls.length]).toEqual([
      'https://api-v1.internal/a',
      'https://api-v2.internal/a',
      2,
    ]);
  });

  it('uses a TTL of five minutes by default', async () => {
    const source = loader();
    const r = router({ load: source.load });
    await r.match('fn1', { path: '/' });
    vi.advanceTimersByTime(300_000);
    await r.match('fn1', { path: '/' });
    vi.advanceTimersByTime(1);
    await r.match('fn1', { path: '/' });
    expect([source.calls.length, r.stats().ttlMs]).toEqual([2, 300_000]);
  });

  it('shares one load between concurrent lookups of the same key', async () => {
    let release!: (table: RouteTable) => void;
    let loads = 0;
    const r = router({
      load: () => {
        loads += 1;
        return new Promise<RouteTable>((resolve) => (release = resolve));
      },
    });
    const pending = Promise.all([1, 2, 3].map((i) => r.match('fn1', { path: `/api/${i}` })));
    release(TABLES.fn1!);
    const matches = await pending;
    expect([loads, matches.map((m) => m?.target?.url)]).toEqual([
      1,
      ['https://api-v1.internal/1', 'https://api-v1.internal/2', 'https://api-v1.internal/3'],
    ]);
  });

  it('keeps tables of different keys apart', async () => {
    const r = router({ load: loader().load });
    expect([await targetOf(r, 'fn1', '/orders/1'), await targetOf(r, 'fn2', '/orders/1')]).toEqual([
      'https://frontend.internal/orders/1',
      'https://orders.internal/1',
    ]);
  });

  it('evicts the least recently used table beyond maxTables', async () => {
    const source = loader({ a: {}, b: {}, c: {} });
    const r = router({ load: source.load, maxTables: 2 });
    await r.match('a', { path: '/' });
    await r.match('b', { path: '/' });
    await r.match('a', { path: '/' });
    await r.match('c', { path: '/' });
    await r.match('a', { path: '/' });
    await r.match('b', { path: '/' });
    expect(source.calls).toEqual(['a', 'b', 'c', 'b']);
  });

  it('holds no timer while tables are cached', async () => {
    const r = router({ load: loader().load, ttlMs: 1_000 });
    await r.match('fn1', { path: '/' });
    await r.handle('fn2', new Request('http://gw.local/orders/1'));
    expect(vi.getTimerCount()).toBe(0);
  });

  it('treats a loader answer of null as a table without routes', async () => {
    const r = router({ load: async () => null });
    expect(await r.match('fn', { path: '/anything' })).toBeNull();
  });
});

describe('invalidate, clear, cleanup', () => {
  it('invalidate(key) makes the next lookup load that key again', async () => {
    const source = loader();
    const r = router({ load: source.load });
    await r.match('fn1', { path: '/' });
    await r.match('fn2', { path: '/' });
    r.invalidate('fn1');
    await r.match('fn1', { path: '/' });
    await r.match('fn2', { path: '/' });
    expect(source.calls).toEqual(['fn1', 'fn2', 'fn1']);
  });

  it('does not cache the result of a load that was in flight when its key was invalidated', async () => {
    const releases: ((table: RouteTable) => void)[] = [];
    const r = router({ load: () => new Promise<RouteTable>((resolve) => releases.push(resolve)) });
    const first = r.match('fn', { path: '/x' });
    r.invalidate('fn');
    const second = r.match('fn', { path: '/x' });
    releases[1]!({ '/*': 'https://new.internal' });
    releases[0]!({ '/*': 'https://old.internal' });
    await Promise.all([first, second]);
    expect(await targetOf(r, 'fn', '/x')).toBe('https://new.internal/x');
  });

  it('clear() drops every table so each key loads again', async () => {
    const source = loader();
    const r = router({ load: source.load });
    await r.match('fn1', { path: '/' });
    await r.match('fn2', { path: '/' });
    r.clear();
    const sizeAfterClear = r.stats().size;
    await r.match('fn1', { path: '/' });
    expect([sizeAfterClear, source.calls]).toEqual([0, ['fn1', 'fn2', 'fn1']]);
  });

  it('after invalidate(key), answers from the current table while the reload runs, then from the new one', async () => {
    const source = manualLoader();
    const r = router({ load: source.load });
    const first = r.match('fn', { path: '/x' });
    source.calls[0]!.resolve({ '/*': 'https://old.internal' });
    await first;
    r.invalidate('fn');
    const whileReloading = await targetOf(r, 'fn', '/x');
    source.calls[1]!.resolve({ '/*': 'https://new.internal' });
    await settle();
    expect([whileReloading, await targetOf(r, 'fn', '/x'), source.calls.length]).toEqual([
      'https://old.internal/x',
      'https://new.internal/x',
      2,
    ]);
  });

  it('cleanup() removes only tables past their TTL and says how many', async () => {
    const r = router({ load: loader().load, ttlMs: 1_000 });
    await r.match('fn1', { path: '/' });
    vi.advanceTimersByTime(600);
    await r.match('fn2', { path: '/' });
    vi.advanceTimersByTime(401);
    expect([r.cleanup(), r.stats().size]).toEqual([1, 1]);
  });

  it('cleanup() keeps the stale table of a key still in use, so a failing reload has it to fall back on', async () => {
    const source = loader();
    const seen: TableLoadErrorState[] = [];
    const r = router({ load: source.load, ttlMs: 1_000, on: { loadError: (state) => seen.push(state) } });
    await r.match('fn1', { path: '/' });
    vi.advanceTimersByTime(900);
    await r.match('fn1', { path: '/' });
    vi.advanceTimersByTime(101);
    const removed = r.cleanup();
    delete source.tables.fn1;
    const served = await targetOf(r, 'fn1', '/api/a');
    await settle();
    expect([removed, served, seen.map((s) => [s.key, s.kept]), await targetOf(r, 'fn1', '/api/b')]).toEqual([
      0,
      'https://api-v1.internal/a',
      [['fn1', true]],
      'https://api-v1.internal/b',
    ]);
  });

  it('cleanup() drops the table of a key once it has been stale and unused for longer than the TTL', async () => {
    const r = router({ load: loader().load, ttlMs: 1_000 });
    await r.match('fn1', { path: '/' });
    vi.advanceTimersByTime(900);
    await r.match('fn1', { path: '/' });
    vi.advanceTimersByTime(1_000);
    const whileRecentlyUsed = r.cleanup();
    vi.advanceTimersByTime(1);
    expect([whileRecentlyUsed, r.cleanup(), r.stats().size]).toEqual([0, 1, 0]);
  });

  it('keeps the last good table through repeated failed reloads', async () => {
    const source = loader();
    const r = router({ load: source.load, ttlMs: 1_000 });
    await r.match('fn1', { path: '/' });
    delete source.tables.fn1;
    const served: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(1_001);
      served.push(await targetOf(r, 'fn1', '/api/a'));
      await settle();
      r.cleanup();
    }
    expect([served, source.calls.length, r.stats().errors]).toEqual([Array(3).fill('https://api-v1.internal/a'), 4, 3]);
  });

  it('cleanup() removes nothing while every table is fresh', async () => {
    const r = router({ load: loader().load, ttlMs: 1_000 });
    await r.match('fn1', { path: '/' });
    expect(r.cleanup()).toBe(0);
  });
});

describe('stale-while-revalidate', () => {
  it('answers from the last good table at once while its reload hangs', async () => {
    const source = manualLoader();
    const r = router({ load: source.load, ttlMs: 1_000 });
    const first = r.match('fn', { path: '/x' });
    source.calls[0]!.resolve({ '/*': 'https://old.internal' });
    await first;
    vi.advanceTimersByTime(1_001);
    const served = await Promise.all([targetOf(r, 'fn', '/a'), targetOf(r, 'fn', '/b')]);
    expect([served, source.calls.length, r.stats().stale]).toEqual([['https://old.internal/a', 'https://old.internal/b'], 2, 2]);
  });

  it('runs one background reload per key however many lookups find the table stale', async () => {
    const source = manualLoader();
    const r = router({ load: source.load, ttlMs: 1_000 });
    const first = r.match('fn', { path: '/' });
    source.calls[0]!.resolve({});
    await first;
    vi.advanceTimersByTime(1_001);
    for (let i = 0; i < 5; i++) await r.match('fn', { path: '/' });
    vi.advanceTimersByTime(500);
    for (let i = 0; i < 5; i++) await r.match('fn', { path: '/' });
    expect(source.calls.map((c) => c.key)).toEqual(['fn', 'fn']);
  });

  it('reports a failed background reload to on.loadError with kept: true and keeps answering', async () => {
    const source = loader();
    const seen: TableLoadErrorState[] = [];
    const r = router({ load: source.load, ttlMs: 1_000, on: { loadError: (state) => seen.push(state) } });
    await r.match('fn1', { path: '/' });
    delete source.tables.fn1;
    vi.advanceTimersByTime(1_001);
    const served = await targetOf(r, 'fn1', '/api/a');
    await settle();
    expect([served, seen.map((s) => [s.key, s.kept, (s.error as Error).message])]).toEqual([
      'https://api-v1.internal/a',
      [['fn1', true, 'no such function fn1 in postgres://secret@db']],
    ]);
  });

  it('makes a key with no table wait for its load', async () => {
    const source = manualLoader();
    const r = router({ load: source.load });
    let answered = false;
    const pending = r.match('fn', { path: '/x' }).then((m) => {
      answered = true;
      return m?.target?.url;
    });
    await settle();
    const before = answered;
    source.calls[0]!.resolve({ '/*': 'https://new.internal' });
    expect([before, await pending]).toEqual([false, 'https://new.internal/x']);
  });

  it('goes stale on a clock that starts at 0', async () => {
    const clock = createManualClock(0);
    const source = loader();
    const r = router({ load: source.load, ttlMs: 1_000, clock });
    await r.match('fn1', { path: '/' });
    clock.advance(1_001);
    await r.match('fn1', { path: '/' });
    await settle();
    expect([source.calls.length, r.stats().stale, clock.pending()]).toEqual([2, 1, 0]);
  });
});

describe('load timeout', () => {
  it('aborts the signal passed to load when loadTimeoutMs passes', async () => {
    const source = manualLoader();
    const r = router({ load: source.load, loadTimeoutMs: 1_000 });
    const pending = r.match('fn', { path: '/' }).catch((e: unknown) => e);
    const { signal } = source.calls[0]!;
    vi.advanceTimersByTime(999);
    const abortedEarly = signal.aborted;
    vi.advanceTimersByTime(1);
    await pending;
    expect([abortedEarly, signal.aborted, isSwitchyardError(signal.reason) && signal.reason.code]).toEqual([false, true, 'DEADLINE_EXCEEDED']);
  });

  it('fails a load that ignores its signal after ten seconds by default, leaving no timer', async () => {
    const r = router({ load: () => new Promise<RouteTable>(() => {}) });
    const pending = r.match('fn', { path: '/' }).catch((e: unknown) => e);
    vi.advanceTimersByTime(9_999);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1);
    const error = await pending;
    expect([
      isSwitchyardError(error) && [error.code, error.message],
      isSwitchyardError((error as Error).cause) && ((error as Error).cause as Error).message,
      vi.getTimerCount(),
    ]).toEqual([
      ['UPSTREAM_ERROR', 'Route table for `fn` could not be loaded'],
      'Route table for `fn` did not load within 10000 ms',
      0,
    ]);
  });

  it('clears the timeout as soon as a load settles', async () => {
    const source = manualLoader();
    const r = router({ load: source.load });
    const pending = r.match('fn', { path: '/' });
    const duringLoad = vi.getTimerCount();
    source.calls[0]!.resolve({});
    await pending;
    expect([duringLoad, vi.getTimerCount()]).toEqual([1, 0]);
  });

  it('keeps serving the last good table when a reload hangs past loadTimeoutMs, for another TTL', async () => {
    const source = manualLoader();
    const seen: TableLoadErrorState[] = [];
    const r = router({ load: source.load, ttlMs: 1_000, loadTimeoutMs: 500, on: { loadError: (state) => seen.push(state) } });
    const first = r.match('fn', { path: '/' });
    source.calls[0]!.resolve({ '/*': 'https://old.internal' });
    await first;
    vi.advanceTimersByTime(1_001);
    await r.match('fn', { path: '/' });
    await vi.advanceTimersByTimeAsync(500);
    source.calls[1]!.resolve({ '/*': 'https://late.internal' });
    await settle();
    vi.advanceTimersByTime(1_000);
    const served = await targetOf(r, 'fn', '/x');
    expect([served, source.calls.length, seen.map((s) => [s.kept, (s.error as Error).message])]).toEqual([
      'https://old.internal/x',
      2,
      [[true, 'Route table for `fn` did not load within 500 ms']],
    ]);
  });
});

describe('validation when a table loads', () => {
  it('rejects a bad first table with an error naming the bad pattern', async () => {
    const r = router({ load: async () => ({ '/ok/*': 'https://ok.internal', '/bad/**/x': 'https://x.internal' }) });
    const error = await r.match('fn', { path: '/ok/1' }).catch((e: unknown) => e);
    expect(isSwitchyardError(error) && [error.code, error.message]).toEqual([
      'INVALID_CONFIG',
      'Route table for `fn` was rejected: Expected `routes["/bad/**/x"].path` to be a valid route pattern (`**` may only be the last segment), got "/bad/**/x"',
    ]);
  });

  it('keeps serving the last good table when a reload brings a bad one', async () => {
    const source = loader();
    const r = router({ load: source.load, ttlMs: 1_000 });
    await r.match('fn1', { path: '/' });
    source.tables.fn1 = { '/api/:id/:id': 'https://broken.internal' };
    vi.advanceTimersByTime(1_001);
    await r.match('fn1', { path: '/' });
    await settle();
    const served = await targetOf(r, 'fn1', '/api/a');
    expect([served, source.calls.length]).toEqual(['https://api-v1.internal/a', 2]);
  });

  it('reports the rejected table to on.loadError, naming the key and pattern and saying the old one was kept', async () => {
    const source = loader();
    const seen: TableLoadErrorState[] = [];
    const r = router({ load: source.load, on: { loadError: (state) => seen.push(state) } });
    await r.match('fn1', { path: '/' });
    source.tables.fn1 = { '/api/:id/:id': 'https://broken.internal' };
    r.invalidate('fn1');
    await r.match('fn1', { path: '/' });
    await settle();
    expect(seen.map((s) => [s.key, s.kept, (s.error as Error).message])).toEqual([
      ['fn1', true, 'Expected `routes["/api/:id/:id"].path` to be a valid route pattern (repeats the parameter `:id`), got "/api/:id/:id"'],
    ]);
  });

  it('after a rejected reload, serves the last good table for another TTL before trying again', async () => {
    const source = loader();
    const r = router({ load: source.load, ttlMs: 1_000 });
    await r.match('fn1', { path: '/' });
    source.tables.fn1 = { 'no-slash': 'https://broken.internal' };
    vi.advanceTimersByTime(1_001);
    await r.match('fn1', { path: '/' });
    await settle();
    vi.advanceTimersByTime(1_000);
    await r.match('fn1', { path: '/' });
    expect([source.calls.length, r.stats().errors]).toEqual([2, 1]);
  });

  it('rejects with a message that does not repeat the loader error when there is no table to fall back on', async () => {
    const r = router({ load: loader().load });
    const error = await r.match('missing', { path: '/' }).catch((e: unknown) => e);
    expect(isSwitchyardError(error) && [error.code, error.message, (error.cause as Error).message]).toEqual([
      'UPSTREAM_ERROR',
      'Route table for `missing` could not be loaded',
      'no such function missing in postgres://secret@db',
    ]);
  });

  it('does not let a throwing hook change the answer', async () => {
    const r = router({
      load: loader().load,
      on: {
        load: () => {
          throw new Error('logger down');
        },
      },
    });
    expect(await targetOf(r, 'fn2', '/orders/5')).toBe('https://orders.internal/5');
  });
});

describe('handle', () => {
  it('returns null when nothing matches so the app can run its own handler', async () => {
    const r = router({ load: loader().load });
    expect(await r.handle('fn2', new Request('http://gw.local/checkout'))).toBeNull();
  });

  it('forwards a matching request to the built target URL', async () => {
    const r = router({ load: loader().load });
    const response = await r.handle('fn1', new Request('http://gw.local/api/users/1?x=2'));
    expect([response?.status, await response?.text()]).toEqual([200, 'https://api-v1.internal/users/1?x=2']);
  });

  it('matches init.path (the raw request target) instead of the parsed Request URL', async () => {
    const r = router({ load: loader().load });
    const response = await r.handle('fn1', new Request('http://gw.local/'), { path: '/api/raw' });
    expect(await response?.text()).toBe('https://api-v1.internal/raw');
  });

  it('passes the client address and signal through to forward', async () => {
    let seen: unknown;
    const controller = new AbortController();
    const r = createRuntimeRouter({
      load: loader().load,
      forward: async (_request, _target, _match, init) => {
        seen = init;
        return new Response('ok');
      },
    });
    await r.handle('fn1', new Request('http://gw.local/api/a'), { clientAddress: '203.0.113.9', signal: controller.signal });
    expect(seen).toEqual({ clientAddress: '203.0.113.9', signal: controller.signal });
  });

  it('answers 400 for a path it refuses (//admin) without consulting the table', async () => {
    const source = loader();
    const r = router({ load: source.load });
    const response = await r.handle('fn1', new Request('http://gw.local/'), { path: '//admin' });
    expect([response?.status, await response?.json(), source.calls]).toEqual([400, { error: 'Bad request' }, []]);
  });

  it("returns null for a refused path when invalidPath is 'pass'", async () => {
    const r = router({ load: loader().load, invalidPath: 'pass' });
    expect(await r.handle('fn1', new Request('http://gw.local/'), { path: '/api/%2e%2e/admin' })).toBeNull();
  });

  it('answers 503 with a generic body when every target of the route is unavailable', async () => {
    const r = router({ load: loader().load, isAvailable: () => false });
    const response = await r.handle('fn2', new Request('http://gw.local/orders/1'));
    const body = await response?.text();
    expect([response?.status, JSON.parse(body!), body?.includes('internal')]).toEqual([
      503,
      { error: 'No upstream available', target: '/orders/*' },
      false,
    ]);
  });

  it('spreads a weighted route over its targets and skips an unavailable one', async () => {
    const down = new Set(['b']);
    const r = router({
      load: async () => [
        {
          path: '/*',
          targets: [
            { url: 'https://a.internal', id: 'a', weight: 2 },
            { url: 'https://b.internal', id: 'b', weight: 1 },
            { url: 'https://c.internal', id: 'c', weight: 1 },
          ],
        },
      ],
      isAvailable: (id) => !down.has(id),
    });
    const hosts: string[] = [];
    for (let i = 0; i < 6; i++) hosts.push(new URL(await (await r.handle('k', new Request('http://gw.local/x')))!.text()).host);
    expect(hosts.sort()).toEqual(['a.internal', 'a.internal', 'a.internal', 'a.internal', 'c.internal', 'c.internal']);
  });
});

describe('options', () => {
  it('rejects a ttlMs of 0', () => {
    expect(() => createRuntimeRouter({ load: async () => null, ttlMs: 0 })).toThrow(
      'Expected `options.ttlMs` to be a finite number > 0, got 0',
    );
  });

  it('rejects a loadTimeoutMs of 0', () => {
    expect(() => createRuntimeRouter({ load: async () => null, loadTimeoutMs: 0 })).toThrow(
      'Expected `options.loadTimeoutMs` to be a number of milliseconds > 0 and at most 2147483647, got 0',
    );
  });

  it('rejects bad proxy options at creation, naming the field', () => {
    expect(() => proxyForward({ timeoutMs: -1 })).toThrow(
      'Expected `proxyForward.timeoutMs` to be a number of milliseconds > 0 and at most 2147483647, got -1',
    );
  });

  it('matches without forward, and rejects handle() without it with INVALID_CONFIG saying what to pass', async () => {
    const r = createRuntimeRouter({ load: async () => ({ '/api/*': 'https://api.internal' }) });
    expect((await r.match('k', { path: '/api/a' }))?.target?.url).toBe('https://api.internal/a');
    const error = await r.handle('k', new Request('http://gw.local/api/a')).catch((e: unknown) => e);
    expect(isSwitchyardError(error) && [error.code, error.message]).toEqual([
      'INVALID_CONFIG',
      'Expected `forward` to be set to call handle(): pass `forward: proxyForward()` from switchyard/http, or your own',
    ]);
  });

  it('matches the same with compile: false, and refuses a compile that is not a boolean', async () => {
    const table = { '/api/health': 'https://health.internal/status', '/api/:id': 'https://items.internal/:id', '/api/*': 'https://api.internal' };
    const compiled = createRuntimeRouter({ load: async () => table });
    const walked = createRuntimeRouter({ load: async () => table, compile: false });
    for (const path of ['/api/health', '/api/7', '/api/7/history', '/other']) {
      expect((await walked.match('k', { path }))?.target?.url).toBe((await compiled.match('k', { path }))?.target?.url);
    }
    expect((await walked.match('k', { path: '/api/7' }))?.target?.url).toBe('https://items.internal/7');
    expect(() => createRuntimeRouter({ load: async () => table, compile: 'no' as never })).toThrow(/`options.compile`/);
  });

  it('rejects an options object without load', () => {
    expect(() => createRuntimeRouter({} as RuntimeRouterOptions)).toThrow('Expected `options.load` to be a function');
  });
});

describe('loads replaced by invalidate or clear', () => {
  it('keeps one load running per key however often it is invalidated, aborting the replaced ones', async () => {
    const source = manualLoader();
    const r = router({ load: source.load });
    const waiting = [r.match('fn', { path: '/x' })];
    for (let i = 0; i < 3; i += 1) {
      r.invalidate('fn');
      waiting.push(r.match('fn', { path: '/x' }));
    }
    expect(source.calls.map((c) => c.signal.aborted)).toEqual([true, true, true, false]);
    source.calls[3]!.resolve({ '/*': 'https://new.internal' });
    const matches = await Promise.all(waiting);
    expect(matches.map((m) => m?.target?.url)).toEqual(Array(4).fill('https://new.internal/x'));
    expect(r.stats()).toMatchObject({ loads: 4, errors: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('aborts a running load on clear() and leaves no timer behind', async () => {
    const source = manualLoader();
    const r = router({ load: source.load });
    const waiting = r.match('fn', { path: '/x' });
    r.clear();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED', message: 'The route table cache was cleared' });
    expect(source.calls[0]!.signal.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses a loadTimeoutMs past what setTimeout can wait', () => {
    expect(() => createRuntimeRouter({ load: async () => null, loadTimeoutMs: 2 ** 31 })).toThrow(/`options.loadTimeoutMs` to be a number of milliseconds/);
  });
});

describe('backing off a key whose load fails', () => {
  it('fails lookups at once during the backoff instead of loading on every request, then tries again', async () => {
    const source = loader({});
    const r = router({ load: source.load, loadErrorBackoffMs: 1_000 });
    await expect(r.match('fn9', { path: '/x' })).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    for (let i = 0; i < 5; i += 1) await expect(r.match('fn9', { path: '/x' })).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(source.calls).toEqual(['fn9']);
    expect(r.stats().backedOff).toBe(5);
    vi.advanceTimersByTime(1_000);
    await expect(r.match('fn9', { path: '/x' })).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(source.calls).toEqual(['fn9', 'fn9']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('doubles the wait after each failure up to maxLoadErrorBackoffMs', async () => {
    const source = loader({});
    const r = router({ load: source.load, loadErrorBackoffMs: 100, maxLoadErrorBackoffMs: 300 });
    const loadsAfter = async (ms: number) => {
      vi.advanceTimersByTime(ms);
      await r.match('fn9', { path: '/x' }).catch(() => {});
      return source.calls.length;
    };
    expect(await loadsAfter(0)).toBe(1);
    expect(await loadsAfter(99)).toBe(1);
    expect(await loadsAfter(1)).toBe(2); // waited 100
    expect(await loadsAfter(199)).toBe(2);
    expect(await loadsAfter(1)).toBe(3); // waited 200
    expect(await loadsAfter(299)).toBe(3);
    expect(await loadsAfter(1)).toBe(4); // waited 300, the cap
    expect(await loadsAfter(300)).toBe(5); // still 300
  });

  it('forgets the backoff once a load succeeds, so a later failure waits the first wait again', async () => {
    const source = loader({ fn2: TABLES.fn2! });
    const r = router({ load: source.load, loadErrorBackoffMs: 100, maxTables: 1 });
    for (let i = 0; i < 2; i += 1) {
      await r.match('fn1', { path: '/api/a' }).catch(() => {});
      vi.advanceTimersByTime(100 * 2 ** i);
    }
    source.tables.fn1 = TABLES.fn1!;
    expect(await targetOf(r, 'fn1', '/api/a')).toBe('https://api-v1.internal/a');
    await r.match('fn2', { path: '/orders/1' }); // evicts fn1's table (maxTables: 1)
    delete source.tables.fn1;
    await r.match('fn1', { path: '/api/a' }).catch(() => {});
    const loads = source.calls.filter((k) => k === 'fn1').length;
    vi.advanceTimersByTime(100);
    await r.match('fn1', { path: '/api/a' }).catch(() => {});
    expect(source.calls.filter((k) => k === 'fn1').length).toBe(loads + 1);
  });

  it('loads again at once after invalidate(key) during the backoff', async () => {
    const source = loader({});
    const r = router({ load: source.load, loadErrorBackoffMs: 10_000 });
    await r.match('fn1', { path: '/api/a' }).catch(() => {});
    source.tables.fn1 = TABLES.fn1!;
    r.invalidate('fn1');
    expect(await targetOf(r, 'fn1', '/api/a')).toBe('https://api-v1.internal/a');
    expect(source.calls).toEqual(['fn1', 'fn1']);
  });

  it('rejects a maxLoadErrorBackoffMs below loadErrorBackoffMs, naming both', () => {
    expect(() => createRuntimeRouter({ load: () => null, loadErrorBackoffMs: 5_000, maxLoadErrorBackoffMs: 1_000 })).toThrow(
      /maxLoadErrorBackoffMs.*loadErrorBackoffMs/,
    );
  });
});
