/**
 * Two PostgreSQL databases as two federation nodes: each tenant is served from its own database,
 * through one `pg` Pool per node that follows the directory.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/postgres/migrate.js';
import { nodePools, type EndablePool } from '../../src/postgres/nodePools.js';
import { postgresDirectory, type PostgresDirectory } from '../../src/postgres/postgresDirectory.js';
import { federationRouter } from '../../src/routing/federation/federationRouter.js';
import { tenantFrom } from '../../src/routing/federation/extract.js';
import type { NodeClients } from '../../src/routing/federation/nodeClients.js';
import { eventually } from '../routing/federation/directory.cases.js';
import { usePostgres } from '../helpers/postgres-server.js';

const postgres = usePostgres();
let pool: pg.Pool;
let directory: PostgresDirectory;
let pools: NodeClients<EndablePool>;

beforeAll(async () => {
  pool = postgres.server.pool('postgres', 10);
  await migrate(pool);
  for (const name of ['one', 'two']) {
    await pool.query(`CREATE DATABASE node_${name}`);
    const db = postgres.server.pool(`node_${name}`, 1);
    await db.query('CREATE TABLE whoami (name text)');
    await db.query('INSERT INTO whoami VALUES ($1)', [name]);
    await db.end();
  }
  await pool.query("INSERT INTO federation_nodes (node_id, region, database_url) VALUES ('n1', 'eu', $1), ('n2', 'eu', $2)", [
    postgres.server.url('node_one'),
    postgres.server.url('node_two'),
  ]);
  await pool.query("INSERT INTO tenant_federation_map (tenant_id, primary_node_id, primary_region) VALUES ('A', 'n1', 'eu'), ('B', 'n2', 'eu')");
  directory = postgresDirectory({ pool });
  await directory.ready();
  pools = nodePools({ directory, maxConnections: 2 });
});

afterAll(async () => {
  await pools?.close();
  await directory?.close();
  await pool?.end();
});

const router = () => federationRouter({ directory, tenant: tenantFrom() });

/** Routes a tenant's call and asks the routed node's database who it is. */
async function served(tenant: string): Promise<{ node: string; database: string }> {
  const [instance] = await router().route({
    operation: 'whoami',
    data: new Request('http://bff.local/', { headers: { 'x-tenant-id': tenant } }),
    context: {},
    signal: new AbortController().signal,
  });
  const db = await pools.get(instance!);
  const { rows } = await db.query('SELECT name FROM whoami');
  return { node: instance!.id, database: rows[0].name as string };
}

async function connectionsTo(database: string): Promise<number> {
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [database]);
  return rows[0].n as number;
}

describe('a pg Pool per federation node', () => {
  it('serves each tenant from its own database, one pool per node reused across calls', async () => {
    expect(await served('A')).toEqual({ node: 'n1', database: 'one' });
    expect(await served('B')).toEqual({ node: 'n2', database: 'two' });
    const first = await pools.get('n1');
    await served('A');
    expect(await pools.get('n1')).toBe(first);
    expect(pools.keys().sort()).toEqual(['n1', 'n2']);
  });

  it('serves a tenant moved to another node from that node on the next call, without a restart', async () => {
    await pool.query("UPDATE tenant_federation_map SET primary_node_id = 'n1' WHERE tenant_id = 'B'");
    await eventually(async () => (await served('B')).node === 'n1');
    expect(await served('B')).toEqual({ node: 'n1', database: 'one' });
  });

  it('ends the pool of a node removed from the directory, closing its connections', async () => {
    expect(await connectionsTo('node_two')).toBeGreaterThan(0);
    await pool.query("DELETE FROM federation_nodes WHERE node_id = 'n2'");
    await eventually(() => !pools.keys().includes('n2'));
    await eventually(async () => (await connectionsTo('node_two')) === 0);
    await expect(pools.get('n2')).rejects.toMatchObject({ code: 'TENANT_UNAVAILABLE', instances: ['n2'] });
  });

  it('replaces the pool of a node whose database_url changed', async () => {
    const before = await pools.get('n1');
    await pool.query("UPDATE federation_nodes SET database_url = $1 WHERE node_id = 'n1'", [postgres.server.url('node_two')]);
    await eventually(() => !pools.keys().includes('n1'));
    const after = await pools.get('n1');
    expect(after).not.toBe(before);
    expect((await after.query('SELECT name FROM whoami')).rows).toEqual([{ name: 'two' }]);
    await eventually(async () => (await connectionsTo('node_one')) === 0);
  });

  it('ends the pool of a node that goes down and refuses to hand one out', async () => {
    await pools.get('n1');
    await pool.query("UPDATE federation_nodes SET status = 'down' WHERE node_id = 'n1'");
    await eventually(() => !pools.keys().includes('n1'));
    await expect(pools.get('n1')).rejects.toMatchObject({ code: 'TENANT_UNAVAILABLE' });
    await pool.query("UPDATE federation_nodes SET status = 'active' WHERE node_id = 'n1'");
  });

  it('names the node, never a URL or password, when a node pool cannot be created', async () => {
    await pool.query("INSERT INTO federation_nodes (node_id, region) VALUES ('no-url', 'eu')");
    await eventually(async () => (await directory.node('no-url')) !== undefined);
    const error = (await pools.get('no-url').catch((e: unknown) => e)) as Error & { cause?: Error };
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', message: 'Creating the client for "no-url" failed' });
    for (const text of [error.message, String(error.cause?.message), JSON.stringify(error)]) {
      expect(text).not.toContain('postgres://');
      expect(text).not.toContain(postgres.server.password);
    }
  });
});
