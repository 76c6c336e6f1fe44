import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { filterRouter, lookupRouter, staticRouter, type Instance, type InstanceRouter, type RouteInput } from '../../src/index.js';

const cloud: Instance = { id: 'cloud', tags: ['groups:read'] };
const acme: Instance = { id: 'enterprise-acme', tags: ['groups:read', 'groups:write'] };
const conf: Instance = { id: 'enterprise-conf' };

type Ctx = { user?: string };
const input = (context: Ctx): RouteInput<unknown, Ctx> => ({ operation: 'search', data: {}, context, signal: new AbortController().signal });

/** The routing behaviour every router must have (hono's common.case pattern). */
function routerCases(name: string, make: (instances: Instance[]) => InstanceRouter<unknown, Ctx>) {
  describe(`${name} conformance`, () => {
    it('returns the instances it was given, in order', async () => {
      expect(await make([cloud, acme, conf]).route(input({ user: 'u1' }))).toEqual([cloud, acme, conf]);
    });
    it('returns an empty list when there are none', async () => {
      expect(await make([]).route(input({ user: 'u1' }))).toEqual([]);
    });
  });
}

routerCases('staticRouter', (instances) => staticRouter(instances));
routerCases('lookupRouter', (instances) => lookupRouter({ lookup: () => instances }));
routerCases('lookupRouter with cache', (instances) =>
  lookupRouter<unknown, Ctx>({ lookup: async () => instances, cache: { key: ({ context }) => context.user } }),
);
routerCases('filterRouter', (instances) => filterRouter(staticRouter(instances), () => true));

describe('staticRouter', () => {
  it('rejects an instance without an id, naming the field', () => {
    expect(() => staticRouter([{ id: '' }])).toThrow(/`instances.0.id` to be a non-empty string/);
  });
  it('rejects an instance with a relative url', () => {
    expect(() => staticRouter([{ id: 'a', url: '/x' }])).toThrow('Expected `instances.0.url` to be an absolute http(s) URL, got "/x"');
  });
});

describe('lookupRouter cache', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('caches per principal for the TTL and looks up again after it', async () => {
    const lookup = vi.fn(async ({ context }: RouteInput<unknown, Ctx>) => (context.user === 'alice' ? [cloud] : [acme]));
    const router = lookupRouter<unknown, Ctx>({ lookup, cache: { key: ({ context }) => context.user, ttlMs: 1000 } });
    expect(await router.route(input({ user: 'alice' }))).toEqual([cloud]);
    expect(await router.route(input({ user: 'bob' }))).toEqual([acme]);
    expect(await router.route(input({ user: 'alice' }))).toEqual([cloud]);
    expect(lookup).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(1001);
    expect(await router.route(input({ user: 'alice' }))).toEqual([cloud]);
    expect(lookup).toHaveBeenCalledTimes(3);
  });

  it('shares one lookup between concurrent calls of the same principal', async () => {
    let calls = 0;
    const router = lookupRouter<unknown, Ctx>({
      lookup: async () => {
        calls += 1;
        await new Promise((r) => setTimeout(r, 10));
        return [cloud];
      },
      cache: { key: ({ context }) => context.user },
    });
    const all = Promise.all(Array.from({ length: 20 }, () => router.route(input({ user: 'alice' }))));
    await vi.advanceTimersByTimeAsync(10);
    expect((await all).every((r) => r.length === 1)).toBe(true);
    expect(calls).toBe(1);
  });

  it('never caches a call without a principal', async () => {
    const lookup = vi.fn(async () => [cloud]);
    const router = lookupRouter<unknown, Ctx>({ lookup, cache: { key: ({ context }) => context.user } });
    await router.route(input({}));
    await router.route(input({}));
    expect(lookup).toHaveBeenCalledTimes(2);
  });

  it('does not cache a failed lookup', async () => {
    let fail = true;
    const router = lookupRouter<unknown, Ctx>({
      lookup: async () => {
        if (fail) throw new Error('db down');
        return [cloud];
      },
      cache: { key: ({ context }) => context.user },
    });
    await expect(router.route(input({ user: 'a' }))).rejects.toThrow('db down');
    fail = false;
    expect(await router.route(input({ user: 'a' }))).toEqual([cloud]);
  });

  it('forgets a principal on invalidate', async () => {
    const lookup = vi.fn(async () => [cloud]);
    const router = lookupRouter<unknown, Ctx>({ lookup, cache: { key: ({ context }) => context.user } });
    await router.route(input({ user: 'a' }));
    router.invalidate('a');
    await router.route(input({ user: 'a' }));
    expect(lookup).toHaveBeenCalledTimes(2);
  });

  it('rejects a lookup result with duplicate ids', async () => {
    const router = lookupRouter({ lookup: () => [cloud, cloud] });
    await expect(router.route(input({}))).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: 'Expected `lookup().1.id` to be unique' });
  });

  it('names the bad field of a lookup result without echoing its value', async () => {
    const router = lookupRouter({ lookup: () => [{ id: 'x', url: '10.0.0.7:8443/internal?token=abc' }] });
    const error = await Promise.resolve(router.route(input({}))).then(() => undefined, (e: Error) => e);
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', message: 'Expected `lookup().0.url` to be an absolute http(s) URL' });
    expect(JSON.stringify(error)).not.toContain('token');
  });

  it('keeps a shared lookup running for the other callers when the first caller aborts', async () => {
    let resolveLookup: (instances: Instance[]) => void = () => {};
    const router = lookupRouter<unknown, Ctx>({
      lookup: ({ signal }) =>
        new Promise((resolve, reject) => {
          resolveLookup = resolve;
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
      cache: { key: ({ context }) => context.user },
    });
    const first = new AbortController();
    const firstCall = router.route({ ...input({ user: 'a' }), signal: first.signal });
    const secondCall = router.route(input({ user: 'a' }));
    first.abort();
    resolveLookup([cloud]);
    expect(await secondCall).toEqual([cloud]);
    expect(await firstCall).toEqual([cloud]);
  });
});

describe('filterRouter', () => {
  it('keeps the instances that grant the required scope (the seeds canAccessResource)', async () => {
    const router = filterRouter(staticRouter([cloud, acme, conf]), (instance) => instance.tags?.includes('groups:write') ?? false);
    expect(await router.route(input({}))).toEqual([acme]);
  });

  it('filters the result of an async router', async () => {
    const router = filterRouter(lookupRouter({ lookup: async () => [cloud, acme] }), (i) => i.id !== 'cloud');
    expect(await router.route(input({}))).toEqual([acme]);
  });
});
