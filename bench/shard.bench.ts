/**
 * The cost of finding a key's shard. switchyard's jump hash on string keys (FNV-1a 64,
 * no BigInt) and weighted rendezvous hashing against `hashring` (md5 ring, 160 points per server)
 * and `consistent-hash` (PJW ring) on the same keys, at 10 and 100 nodes; and the whole
 * `shardRouter.route()` call (key extraction, tenant map, prefix ranges, hash, instance pick).
 */
import { createRequire } from 'node:module';
import { jumpHashString, parsePolicy, rendezvousHash, shardRouter } from '../dist/routing.js';

const require = createRequire(import.meta.url);
const HashRing = require('hashring') as new (servers: string[]) => { get(key: string): string };
const ConsistentHash = require('consistent-hash') as new () => { add(node: string): unknown; get(key: string): string };

// More distinct keys than hashring's result cache holds (5,000): shard keys are high-cardinality.
const KEYS = Array.from({ length: 65_536 }, (_, i) => `user_${(i * 2_654_435_761) % 10_000_019}`);

function measure(lookup: (key: string) => unknown, minMs = 1_000): number {
  for (const key of KEYS) if (lookup(key) == null) throw new Error(`no node for ${key}`);
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < minMs) {
    for (const key of KEYS) lookup(key);
    count += KEYS.length;
  }
  return ((performance.now() - started) * 1e6) / count;
}

function nodes(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `shard-${i}`);
}

export default async function bench(): Promise<string> {
  const rows: { name: string; n: number; ns: number }[] = [];
  for (const n of [10, 100]) {
    const names = nodes(n);
    const ring = new HashRing(names);
    const consistent = new ConsistentHash();
    for (const name of names) consistent.add(name);
    rows.push({ name: 'switchyard jumpHashString', n, ns: measure((key) => jumpHashString(key, n)) });
    rows.push({ name: 'switchyard rendezvousHash', n, ns: measure((key) => rendezvousHash(key, names)) });
    rows.push({ name: 'hashring get', n, ns: measure((key) => ring.get(key)) });
    rows.push({ name: 'consistent-hash get', n, ns: measure((key) => consistent.get(key)) });
  }
  const find = (name: string, n: number) => rows.find((r) => r.name === name && r.n === n)!.ns;

  const document = (algorithm: 'jump' | 'rendezvous') => ({
    version: 1,
    shards: Object.fromEntries(nodes(100).map((id) => [id, { instances: [{ url: `https://${id}.internal` }] }])),
    tenants: Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`tenant-${i}`, `shard-${i % 100}`])),
    ranges: [
      { prefix: 'admin_', shard: 'shard-0' },
      { prefix: 'audit_', shard: 'shard-1' },
    ],
    hash: { algorithm },
  });
  const signal = new AbortController().signal;
  const routeNs: Record<string, number> = {};
  for (const algorithm of ['jump', 'rendezvous'] as const) {
    const router = shardRouter<{ key: string }>({ policy: await parsePolicy(document(algorithm), { env: {} }), key: ({ data }) => data.key });
    routeNs[algorithm] = measure((key) => router.route({ operation: 'get', data: { key }, context: undefined, signal }));
  }
  const tenantRouter = shardRouter<{ tenant: string }>({
    policy: await parsePolicy(document('jump'), { env: {} }),
    key: ({ data }) => ({ tenant: data.tenant }),
  });
  const tenants = KEYS.map((_, i) => `tenant-${i % 1_000}`);
  let t = 0;
  routeNs['tenant'] = measure(() => tenantRouter.route({ operation: 'get', data: { tenant: tenants[t++ % tenants.length]! }, context: undefined, signal }));

  const lookupsPerSecond = (ns: number) => `${(1e9 / ns / 1e6).toFixed(2)} M`;
  const table = rows
    .map((r) => `| ${r.name} | ${r.n} | ${r.ns.toFixed(0)} | ${lookupsPerSecond(r.ns)} | ${(find('hashring get', r.n) / r.ns).toFixed(2)}× |`)
    .join('\n');
  return `## Shard lookup

One lookup of a string key's node among 10 and 100 nodes, cycling over ${KEYS.length} keys.
\`jumpHashString\` hashes the key with FNV-1a 64 in 32-bit arithmetic and runs jump consistent hash
without BigInt; \`rendezvousHash\` scores every node, so it grows with the node count; \`hashring\`
(md5 through node:crypto, a ring of 160 points per server, a result cache of 5,000 keys that these
keys outnumber) and \`consistent-hash\` (PJW hash, 40 points per node) look the key up on their ring. "vs hashring"
is how many times faster than \`hashring\` at the same node count (higher is better).

| lookup | nodes | ns / lookup | lookups / s | vs hashring |
|---|---|---|---|---|
${table}

\`shardRouter().route()\` on a policy of 100 shards, 1,000 mapped tenants and two prefix ranges:
${routeNs['jump']!.toFixed(0)} ns per call for hashed keys with jump, ${routeNs['rendezvous']!.toFixed(0)} ns with
rendezvous, ${routeNs['tenant']!.toFixed(0)} ns for a mapped tenant.`;
}
