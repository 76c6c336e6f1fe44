import fc from 'fast-check';
import { expect, test, vi } from 'vitest';
import { useFakeTimersFromZero } from '../../_support/fakeTimers.js';
import { isSwitchyardError, type SwitchyardErrorCode } from '../../../src/errors/SwitchyardError.js';
import type { Instance, RouteInput } from '../../../src/router/types.js';
import {
  parsePolicy,
  sessionAffinity,
  shardRouter,
  type Policy,
  type ShardKey,
  type ShardRouteState,
  type ShardScatterState,
} from '../../../src/routing/index.js';

useFakeTimersFromZero();

const document = {
  version: 1,
  shards: {
    s0: { instances: [{ url: 'https://s0.internal' }] },
    s1: { instances: [{ url: 'https://s1a.internal' }, { url: 'https://s1b.internal' }] },
    s2: { instances: [{ url: 'https://s2.internal' }] },
  },
  tenants: { acme: 's1', globex: 's2' },
  ranges: [
    { prefix: 'user_', shard: 's0' },
    { prefix: 'user_vip_', shard: 's2' },
  ],
};

interface Data {
  tenant?: string;
  key?: string;
  session?: string;
  principal?: string;
}

function input(data: Data, operation = 'get'): RouteInput<Data, unknown> {
  return { operation, data, context: undefined, signal: new AbortController().signal };
}

const keyOf = ({ data }: RouteInput<Data, unknown>): ShardKey => ({
  ...(data.tenant === undefined ? {} : { tenant: data.tenant }),
  ...(data.key === undefined ? {} : { key: data.key }),
});

async function route(router: ReturnType<typeof shardRouter<Data>>, data: Data, operation?: string): Promise<Instance[]> {
  return [...(await router.route(input(data, operation)))];
}

async function codeOf(promise: Promise<unknown>): Promise<SwitchyardErrorCode | 'resolved'> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return isSwitchyardError(error) ? error.code : (() => { throw error; })();
  }
}

test('routes a mapped tenant to its shard before any range or hash', async () => {
  const router = shardRouter<Data>({ policy: await parsePolicy(document, { env: {} }), key: keyOf });
  const [instance] = await route(router, { tenant: 'acme', key: 'user_1' });
  expect(instance!.meta?.['shard']).toBe('s1');
  expect(instance!.id).toBe('s1#1');
  expect((instance!.meta?.['replicas'] as Instance[]).map((i) => i.id)).toEqual(['s1#2']);
});

test('routes keys by the longest matching prefix, then by hash', async () => {
  const router = shardRouter<Data>({ policy: await parsePolicy(document, { env: {} }), key: keyOf });
  expect((await route(router, { key: 'user_42' }))[0]!.meta?.['shard']).toBe('s0');
  expect((await route(router, { key: 'user_vip_7' }))[0]!.meta?.['shard']).toBe('s2');
  const hashed = new Set<unknown>();
  for (let i = 0; i < 200; i++) hashed.add((await route(router, { key: `order_${i}` }))[0]!.meta?.['shard']);
  expect([...hashed].sort()).toEqual(['s0', 's1', 's2']);
});

test('a call with no key fails closed with NO_SHARD_KEY', async () => {
  const router = shardRouter<Data>({ policy: await parsePolicy(document, { env: {} }), key: keyOf });
  expect(await codeOf(route(router, {}))).toBe('NO_SHARD_KEY');
  expect(await codeOf(route(router, { key: '' }))).toBe('NO_SHARD_KEY');
});

test('an unmapped tenant fails closed with UNKNOWN_TENANT, even when the call has a key', async () => {
  const router = shardRouter<Data>({ policy: await parsePolicy(document, { env: {} }), key: keyOf });
  expect(await codeOf(route(router, { tenant: 'initech', key: 'user_1' }))).toBe('UNKNOWN_TENANT');
});

test('a policy default serves unmapped tenants and every such call is reported', async () => {
  const routes: ShardRouteState[] = [];
  const router = shardRouter<Data>({
    policy: await parsePolicy({ ...document, default: 's0' }, { env: {} }),
    key: keyOf,
    on: { route: (state) => routes.push(state) },
  });
  expect((await route(router, { tenant: 'initech' }))[0]!.meta?.['shard']).toBe('s0');
  expect(routes).toMatchObject([{ shard: 's0', via: 'default', tenant: 'initech' }]);
});

test('an operation that may scatter goes to one instance of every shard and reports its coverage', async () => {
  const scatters: ShardScatterState[] = [];
  const router = shardRouter<Data>({
    policy: await parsePolicy(document, { env: {} }),
    key: keyOf,
    scatter: ['search'],
    on: { scatter: (state) => scatters.push(state) },
  });
  const instances = await route(router, {}, 'search');
  expect(instances.map((i) => i.meta?.['shard'])).toEqual(['s0', 's1', 's2']);
  expect(scatters).toEqual([{ operation: 'search', shards: ['s0', 's1', 's2'], covered: ['s0', 's1', 's2'], missed: [] }]);
  expect(await codeOf(route(router, {}, 'get'))).toBe('NO_SHARD_KEY');
});

test('a scatter that cannot cover a shard says which one, never silently', async () => {
  const scatters: ShardScatterState[] = [];
  const open = new Set(['s2', 's1#1']);
  const router = shardRouter<Data>({
    policy: await parsePolicy(document, { env: {} }),
    key: keyOf,
    scatter: () => true,
    isAvailable: (instance) => !open.has(instance.id),
    on: { scatter: (state) => scatters.push(state) },
  });
  const instances = await route(router, {}, 'search');
  // s1 falls back to its second instance; s2 has none, and is still returned so the report shows it skipped.
  expect(instances.map((i) => i.id)).toEqual(['s0', 's1#2', 's2']);
  expect(scatters[0]).toMatchObject({ covered: ['s0', 's1'], missed: ['s2'] });
});

test('routes by the policy a source says is active at each call', async () => {
  const first = await parsePolicy(document, { env: {} });
  const second = await parsePolicy({ ...document, tenants: { acme: 's0', globex: 's2' } }, { env: {} });
  let active: { policy: Policy; version: number } | undefined;
  const router = shardRouter<Data>({ policy: { active: () => active }, key: keyOf });
  expect(await codeOf(route(router, { tenant: 'acme' }))).toBe('NO_INSTANCES');
  active = { policy: first, version: 1 };
  expect((await route(router, { tenant: 'acme' }))[0]!.meta?.['shard']).toBe('s1');
  active = { policy: second, version: 2 };
  expect((await route(router, { tenant: 'acme' }))[0]!.meta?.['shard']).toBe('s0');
});

test('never routes to a shard the active policy does not list', async () => {
  const policies = await Promise.all(
    [
      document,
      { ...document, shards: { s0: document.shards.s0, s2: document.shards.s2 }, tenants: { globex: 's2' }, default: 's2' },
      { ...document, hash: { algorithm: 'rendezvous', shards: ['s1', 's2'] } },
    ].map((d) => parsePolicy(d, { env: {} })),
  );
  let active = policies[0]!;
  const router = shardRouter<Data>({ policy: { active: () => ({ policy: active }) }, key: keyOf, scatter: ['all'] });
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 2 }),
      fc.record({ tenant: fc.option(fc.constantFrom('acme', 'globex', 'initech', ''), { nil: undefined }), key: fc.option(fc.string(), { nil: undefined }) }),
      fc.boolean(),
      async (which, data, all) => {
        active = policies[which]!;
        const clean = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined)) as Data;
        try {
          const instances = await route(router, clean, all ? 'all' : 'get');
          for (const instance of instances) {
            const shard = instance.meta?.['shard'] as string;
            expect(Object.keys(active.shards)).toContain(shard);
            expect(active.shards[shard]!.instances.map((i) => i.id)).toContain(instance.id);
          }
        } catch (error) {
          expect(isSwitchyardError(error) && ['NO_SHARD_KEY', 'UNKNOWN_TENANT'].includes(error.code)).toBe(true);
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('a key function that returns something other than strings fails as a router mistake', async () => {
  const router = shardRouter<Data>({ policy: await parsePolicy(document, { env: {} }), key: ({ data }) => ({ tenant: data.tenant as unknown as string, key: 42 as unknown as string }) });
  expect(await codeOf(route(router, {}))).toBe('ROUTER_FAILED');
});

test('rejects bad options with a message naming the field', () => {
  expect(() => shardRouter({ policy: {} as Policy, key: () => undefined })).toThrow('`policy`');
  expect(() => shardRouter({ policy: { active: () => undefined }, key: 'tenant' as never })).toThrow('`key`');
});

function affinityRouter(policy: { active(): { policy: Policy } | undefined }, open = new Set<string>()) {
  const affinity = sessionAffinity({ ttlMs: 60_000 });
  const router = shardRouter<Data>({
    policy,
    key: keyOf,
    isAvailable: (instance) => !open.has(instance.id),
    affinity: { store: affinity, session: ({ data }) => data.session, principal: ({ data }) => data.principal },
  });
  return { affinity, router };
}

test('affinity: calls of one session stay on the instance they were pinned to', async () => {
  const first = await parsePolicy(document, { env: {} });
  let active = first;
  const { affinity, router } = affinityRouter({ active: () => ({ policy: active }) });
  const pinned = await route(router, { key: 'order_1', session: 'tx-1', principal: 'alice' });
  // The policy moves keys around; the pinned session does not move.
  active = await parsePolicy({ ...document, ranges: [{ prefix: 'order_', shard: pinned[0]!.meta?.['shard'] === 's0' ? 's2' : 's0' }] }, { env: {} });
  const again = await route(router, { key: 'order_1', session: 'tx-1', principal: 'alice' });
  expect(again.map((i) => i.id)).toEqual(pinned.map((i) => i.id));
  affinity.close();
});

test('affinity: a pinned shard that leaves the policy gives AFFINITY_LOST until the session is released', async () => {
  let active = await parsePolicy(document, { env: {} });
  const { affinity, router } = affinityRouter({ active: () => ({ policy: active }) });
  const call = { tenant: 'globex', session: 'tx-9', principal: 'alice' };
  expect((await route(router, call))[0]!.meta?.['shard']).toBe('s2');
  active = await parsePolicy({ ...document, shards: { s0: document.shards.s0, s1: document.shards.s1 }, tenants: { acme: 's1', globex: 's0' }, ranges: [] }, { env: {} });
  expect(await codeOf(route(router, call))).toBe('AFFINITY_LOST');
  expect(await codeOf(route(router, call))).toBe('AFFINITY_LOST');
  affinity.release({ principal: 'alice', tenant: 'globex', session: 'tx-9' });
  expect((await route(router, call))[0]!.meta?.['shard']).toBe('s0');
  affinity.close();
});

test('affinity: a pinned instance whose breaker opens gives AFFINITY_LOST, never a silent move', async () => {
  const open = new Set<string>();
  const policy = await parsePolicy(document, { env: {} });
  const { affinity, router } = affinityRouter({ active: () => ({ policy }) }, open);
  const call = { tenant: 'acme', session: 'tx-2', principal: 'bob' };
  expect((await route(router, call))[0]!.id).toBe('s1#1');
  open.add('s1#1');
  expect(await codeOf(route(router, call))).toBe('AFFINITY_LOST');
  // Without the session the call moves to the healthy instance, as any new call would.
  expect((await route(router, { tenant: 'acme' }))[0]!.id).toBe('s1#2');
  affinity.close();
});

test('affinity: another principal’s session id does not steer the call', async () => {
  let active = await parsePolicy({ ...document, tenants: {}, ranges: [{ prefix: 'k', shard: 's0' }] }, { env: {} });
  const { affinity, router } = affinityRouter({ active: () => ({ policy: active }) });
  await route(router, { key: 'k1', session: 'shared-id', principal: 'alice' });
  active = await parsePolicy({ ...document, tenants: {}, ranges: [{ prefix: 'k', shard: 's2' }] }, { env: {} });
  const mallory = await route(router, { key: 'k1', session: 'shared-id', principal: 'mallory' });
  expect(mallory[0]!.meta?.['shard']).toBe('s2');
  const alice = await route(router, { key: 'k1', session: 'shared-id', principal: 'alice' });
  expect(alice[0]!.meta?.['shard']).toBe('s0');
  expect(await codeOf(route(router, { key: 'k1', session: 'shared-id' }))).toBe('INVALID_INPUT');
  affinity.close();
});

test('affinity: pins expire after the TTL without use, and the cleanup timer stops when none are left', async () => {
  const policy = await parsePolicy(document, { env: {} });
  const { affinity, router } = affinityRouter({ active: () => ({ policy }) });
  await route(router, { key: 'user_1', session: 's', principal: 'p' });
  expect(affinity.size()).toBe(1);
  await vi.advanceTimersByTimeAsync(30_000);
  await route(router, { key: 'user_1', session: 's', principal: 'p' });
  await vi.advanceTimersByTimeAsync(59_000);
  expect(affinity.size()).toBe(1);
  await vi.advanceTimersByTimeAsync(61_000);
  expect(affinity.size()).toBe(0);
  expect(vi.getTimerCount()).toBe(0);
});
