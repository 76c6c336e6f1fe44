/**
 * The shard router inside a real fan-out: three shard servers over HTTP, calls routed by tenant,
 * prefix and hash, a scatter whose missed shard shows in the report, a policy change taking effect
 * between calls, and a client pool dropping the client of a shard that left the policy.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { leftoverResources } from '../_support/resources.js';
import { listen, type Running } from '../http/_servers.js';
import { createBreakers } from '../../src/breaker/index.js';
import { httpWorker } from '../../src/http/httpWorker.js';
import { createFanout, firstSuccess, isSwitchyardError, mergeAll } from '../../src/index.js';
import {
  clientPool,
  createPolicyStore,
  memoryPolicyBackend,
  shardRouter,
  type ShardScatterState,
} from '../../src/routing/index.js';

let servers: Running[] = [];
let before: string[] = [];
const failing = new Set<string>();

beforeAll(async () => {
  before = process.getActiveResourcesInfo();
  servers = await Promise.all(
    ['s0', 's1', 's2'].map((name) =>
      listen((req, res) => {
        if (failing.has(name)) res.writeHead(500).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([`${name}:${req.url}`]));
      }),
    ),
  );
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(leftoverResources(before)).toEqual([]);
});

function documentFor(shards: string[], tenants: Record<string, string>) {
  return {
    version: 1,
    shards: Object.fromEntries(shards.map((s) => [s, { instances: [{ url: servers[Number(s.slice(1))]!.origin }] }])),
    tenants,
    ranges: [{ prefix: 'user_', shard: shards[0]! }],
  };
}

test('over real HTTP, calls reach the shard of their tenant or key, and a scatter’s missed shard shows in the report', async () => {
  const policies = createPolicyStore({ store: memoryPolicyBackend(), env: {}, syncIntervalMs: false });
  await policies.activate((await policies.propose(documentFor(['s0', 's1', 's2'], { acme: 's1' }))).version);
  const breakers = createBreakers({ policy: { kind: 'consecutive', threshold: 1 } });
  const scatters: ShardScatterState[] = [];
  const router = shardRouter<{ key?: string }, { tenant?: string }>({
    policy: policies,
    key: ({ data, context }) => ({ tenant: context.tenant, key: data.key }),
    scatter: ['search'],
    isAvailable: (instance) => breakers.state(instance.id) !== 'open',
    on: { scatter: (state) => scatters.push(state) },
  });
  const fanout = createFanout({ router, breaker: breakers, retry: false });
  const worker = httpWorker<string[]>({ path: '/items' });

  const byTenant = await fanout.run({ operation: 'get', data: {}, context: { tenant: 'acme' }, worker, strategy: firstSuccess() });
  expect(byTenant).toEqual(['s1:/items']);
  const byPrefix = await fanout.run({ operation: 'get', data: { key: 'user_7' }, context: {}, worker, strategy: firstSuccess() });
  expect(byPrefix).toEqual(['s0:/items']);
  const noKey = await fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() }).catch((e: unknown) => e);
  expect(isSwitchyardError(noKey) && noKey.code).toBe('NO_SHARD_KEY');

  // s2 fails once: its breaker opens, and the next scatter cannot cover it.
  failing.add('s2');
  await fanout.collect({ operation: 'search', data: {}, context: {}, worker });
  failing.delete('s2');
  const { value, report } = await fanout.runDetailed({ operation: 'search', data: {}, context: {}, worker, strategy: mergeAll() });
  expect(value.sort()).toEqual(['s0:/items', 's1:/items']);
  expect(scatters.at(-1)).toMatchObject({ covered: ['s0', 's1'], missed: ['s2'] });
  const skipped = report.instances.filter((i) => i.status === 'skipped').map((i) => [i.instanceId, i.reason]);
  expect(skipped).toEqual([['s2', 'circuit-open']]);
  await policies.close();
});

test('a policy change reroutes the next call, and the client pool drops the client of the shard that left', async () => {
  const policies = createPolicyStore({ store: memoryPolicyBackend(), env: {}, syncIntervalMs: false });
  await policies.activate((await policies.propose(documentFor(['s0', 's1', 's2'], { acme: 's2' }))).version);
  const closed: string[] = [];
  const pool = clientPool<string, { origin: string }>({ create: (origin) => ({ origin }), dispose: (client) => void closed.push(client.origin) });
  const router = shardRouter<unknown, { tenant: string }>({ policy: policies, key: ({ context }) => ({ tenant: context.tenant }) });
  const fanout = createFanout({ router, retry: false });
  const worker = async (instance: { url?: string }) => {
    const client = await pool.get(instance.url!);
    const response = await fetch(`${client.origin}/orders`);
    return (await response.json()) as string[];
  };

  expect(await fanout.run({ operation: 'get', data: undefined, context: { tenant: 'acme' }, worker, strategy: firstSuccess() })).toEqual(['s2:/orders']);
  const next = await policies.propose(documentFor(['s0', 's1'], { acme: 's1' }));
  await expect(policies.activate(next.version)).rejects.toThrow('tenant "acme": shard "s2" is removed');
  await policies.activate(next.version, { acknowledge: { tenants: ['acme'] } });
  await pool.retain(Object.values(policies.active()!.policy.shards).flatMap((s) => s.instances.map((i) => i.url!)));
  expect(closed).toEqual([servers[2]!.origin]);
  expect(await fanout.run({ operation: 'get', data: undefined, context: { tenant: 'acme' }, worker, strategy: firstSuccess() })).toEqual(['s1:/orders']);
  await pool.close();
  await policies.close();
});
