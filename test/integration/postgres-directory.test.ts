import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/postgres/migrate.js';
import { postgresDirectory, type DirectoryInvalidateState, type PostgresDirectory } from '../../src/postgres/postgresDirectory.js';
import { federationRouter } from '../../src/routing/federation/federationRouter.js';
import { tenantFrom } from '../../src/routing/federation/extract.js';
import type { FederationNode, TenantPlacement } from '../../src/routing/federation/types.js';
import { directoryConformance, eventually, type DirectoryHarness } from '../routing/federation/directory.cases.js';
import { usePostgres } from '../helpers/postgres-server.js';

const postgres = usePostgres();
let pool: pg.Pool;
let shared: PostgresDirectory;
const opened: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  pool = postgres.server.pool('postgres', 20);
  await migrate(pool);
  shared = postgresDirectory({ pool });
  opened.push(shared);
  await shared.ready();
});

afterAll(async () => {
  for (const item of opened) await item.close();
  await pool?.end();
});

async function writeNode(db: pg.Pool, node: FederationNode): Promise<void> {
  await db.query(
    `INSERT INTO federation_nodes (node_id, region, url, database_url, status, priority, metadata) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (node_id) DO UPDATE SET region = $2, url = $3, database_url = $4, status = $5, priority = $6, metadata = $7`,
    [node.id, node.region, node.url ?? null, node.databaseUrl ?? null, node.status, node.priority, node.meta ?? null],
  );
}

async function writeTenant(db: pg.Pool, placement: TenantPlacement): Promise<void> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO tenant_federation_map (tenant_id, primary_node_id, primary_region, federation_metadata) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id) DO UPDATE SET primary_node_id = $2, primary_region = $3, federation_metadata = $4`,
      [placement.tenantId, placement.primaryNodeId, placement.primaryRegion, placement.meta ?? null],
    );
    await client.query('DELETE FROM federation_routing WHERE tenant_id = $1', [placement.tenantId]);
    for (const rule of placement.rules) {
      await client.query('INSERT INTO federation_routing (tenant_id, region, node_id, is_primary, weight) VALUES ($1, $2, $3, $4, $5)', [
        placement.tenantId,
        rule.region,
        rule.nodeId,
        rule.primary,
        rule.weight,
      ]);
    }
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

/** JSON with sorted keys and without undefined fields, to compare what was written with what is read. */
function canon(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sort(x)])) : v;
  return JSON.stringify(sort(value));
}

const sortRules = (placement: TenantPlacement | undefined) =>
  placement === undefined ? undefined : { ...placement, rules: [...placement.rules].sort((a, b) => `${a.region}/${a.nodeId}`.localeCompare(`${b.region}/${b.nodeId}`)) };

directoryConformance('postgresDirectory', async () => {
  const directory = shared;
  const harness: DirectoryHarness = {
    directory,
    async setNode(node) {
      await writeNode(pool, node);
      await eventually(async () => canon(await directory.node(node.id)) === canon(node));
    },
    async removeNode(id) {
      await pool.query('DELETE FROM federation_nodes WHERE node_id = $1', [id]);
      await eventually(async () => (await directory.node(id)) === undefined);
    },
    async setTenant(placement) {
      await writeTenant(pool, placement);
      await eventually(async () => canon(sortRules(await directory.tenant(placement.tenantId))) === canon(sortRules(placement)));
    },
    async removeTenant(id) {
      await pool.query('DELETE FROM tenant_federation_map WHERE tenant_id = $1', [id]);
      await eventually(async () => (await directory.tenant(id)) === undefined);
    },
  };
  return harness;
});
