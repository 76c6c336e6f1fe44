/** Route tables for the runtime router and the user_realms lookup, on a real PostgreSQL. */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupRouter } from '../../src/router/lookupRouter.js';
import { migrate } from '../../src/postgres/migrate.js';
import { postgresDirectory } from '../../src/postgres/postgresDirectory.js';
import { userRealmsLookup } from '../../src/postgres/realmLookup.js';
import { postgresRouteTables } from '../../src/postgres/routeTables.js';
import { createRuntimeRouter } from '../../src/routing/path/createRuntimeRouter.js';
import { eventually } from '../routing/federation/directory.cases.js';
import { usePostgres } from '../helpers/postgres-server.js';

const postgres = usePostgres();
let pool: pg.Pool;
const closing: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  pool = postgres.server.pool('postgres', 10);
  await migrate(pool);
});

afterAll(async () => {
  for (const item of closing) await item.close();
  await pool?.end();
});

const signal = new AbortController().signal;

describe('route tables in PostgreSQL', () => {
  it('loads a key\'s table and brings an update to the runtime router through NOTIFY, long before the TTL', async () => {
    await pool.query('INSERT INTO switchyard_route_tables (key, routes) VALUES ($1, $2)', ['fn-1', { '/api/users/*': 'http://users-v1.internal' }]);
    const invalidated: string[] = [];
    const tables = postgresRouteTables({ pool, on: { invalidate: (s) => invalidated.push(s.key) } });
    closing.push(tables);
    await tables.ready();
    const router = createRuntimeRouter({ load: tables.load, ttlMs: 3_600_000 });
    tables.attach(router);
    expect((await router.match('fn-1', { method: 'GET', path: '/api/users/7' }))?.target?.origin).toBe('http://users-v1.internal');

    await pool.query('UPDATE switchyard_route_tables SET routes = $2 WHERE key = $1', ['fn-1', { '/api/users/*': 'http://users-v2.internal' }]);
    await eventually(() => invalidated.includes('fn-1'));
    // The first lookup after an invalidation answers from the old table while the new one loads.
    await eventually(async () => (await router.match('fn-1', { method: 'GET', path: '/api/users/7' }))?.target?.origin === 'http://users-v2.internal');
    expect(await router.match('fn-1', { method: 'GET', path: '/api/other' })).toBeNull();
  });

  it('answers null for a key without a table, and picks the table up when it is inserted', async () => {
    const tables = postgresRouteTables({ pool });
    closing.push(tables);
    await tables.ready();
    const router = createRuntimeRouter({ load: tables.load, ttlMs: 3_600_000 });
    tables.attach(router);
    expect(await router.match('fn-new', { method: 'GET', path: '/x' })).toBeNull();
    await pool.query('INSERT INTO switchyard_route_tables (key, routes) VALUES ($1, $2)', ['fn-new', JSON.stringify([{ path: '/x', target: 'http://x.internal' }])]);
    await eventually(async () => (await router.match('fn-new', { method: 'GET', path: '/x' }))?.target?.origin === 'http://x.internal');
  });

  it('ignores a notification older than the table it loaded', async () => {
    await pool.query('INSERT INTO switchyard_route_tables (key, routes) VALUES ($1, $2)', ['fn-late', { '/a': 'http://a.internal' }]);
    const invalidated: number[] = [];
    const tables = postgresRouteTables({ pool, on: { invalidate: (s) => s.key === 'fn-late' && invalidated.push(s.version) } });
    closing.push(tables);
    await tables.ready();
    await tables.load('fn-late');
    const { rows } = await pool.query("SELECT version::text AS v FROM switchyard_route_tables WHERE key = 'fn-late'");
    const version = Number(rows[0].v);
    await pool.query("SELECT pg_notify('switchyard_directory', $1)", [JSON.stringify({ t: 'switchyard_route_tables', op: 'UPDATE', k: 'fn-late', r: '', v: version - 1 })]);
    await pool.query("UPDATE switchyard_route_tables SET routes = '{\"/b\": \"http://b.internal\"}' WHERE key = 'fn-late'");
    await eventually(() => invalidated.length > 0);
    // Only the real update was passed on; the older notification sent before it was dropped.
    expect(invalidated).toHaveLength(1);
    expect(invalidated[0]).toBeGreaterThan(version);
  });
});

describe('route tables after a lost LISTEN connection', () => {
  it('invalidates every loaded key on reconnect, so a change made while disconnected is picked up', async () => {
    await pool.query('INSERT INTO switchyard_route_tables (key, routes) VALUES ($1, $2)', ['fn-rc', { '/a': 'http://before.internal' }]);
    const appPool = new pg.Pool({ connectionString: postgres.server.url(), application_name: 'route-tables-reconnect', max: 3 });
    let reconnects = 0;
    const tables = postgresRouteTables({ pool: appPool, reconnectMs: 2_000, on: { listenError: () => (reconnects += 1) } });
    try {
      await tables.ready();
      const router = createRuntimeRouter({ load: tables.load, ttlMs: 3_600_000 });
      tables.attach(router);
      const origin = async () => (await router.match('fn-rc', { method: 'GET', path: '/a' }))?.target?.origin;
      expect(await origin()).toBe('http://before.internal');
      await pool.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'route-tables-reconnect' AND query LIKE 'LISTEN%'");
      await eventually(() => reconnects > 0);
      await pool.query('UPDATE switchyard_route_tables SET routes = $2 WHERE key = $1', ['fn-rc', { '/a': 'http://after.internal' }]);
      expect(await origin()).toBe('http://before.internal');
      await eventually(async () => (await origin()) === 'http://after.internal');
    } finally {
      await tables.close();
      await appPool.end();
    }
  });
});

describe('user_realms lookup', () => {
  it('gives lookupRouter the instances of a user, with region and URL from federation_nodes, down nodes left out', async () => {
    await pool.query(
      "INSERT INTO federation_nodes (node_id, region, url, status) VALUES ('cloud', 'eu', 'http://cloud.internal', 'active'), ('enterprise-acme', 'us', 'http://acme.internal', 'active'), ('enterprise-old', 'us', NULL, 'down')",
    );
    await pool.query(
      "INSERT INTO user_realms (user_id, instance_id) VALUES ('u1', 'cloud'), ('u1', 'enterprise-acme'), ('u1', 'enterprise-old'), ('u1', 'unregistered'), ('u2', 'cloud')",
    );
    const router = lookupRouter<unknown, { userId?: string }>({ lookup: userRealmsLookup({ pool, user: ({ context }) => context.userId }) });
    expect(await router.route({ operation: 'op', data: {}, context: { userId: 'u1' }, signal })).toEqual([
      { id: 'cloud', region: 'eu', url: 'http://cloud.internal' },
      { id: 'enterprise-acme', region: 'us', url: 'http://acme.internal' },
      { id: 'unregistered' },
    ]);
    expect(await router.route({ operation: 'op', data: {}, context: { userId: 'u2' }, signal })).toEqual([{ id: 'cloud', region: 'eu', url: 'http://cloud.internal' }]);
    expect(await router.route({ operation: 'op', data: {}, context: { userId: 'nobody' }, signal })).toEqual([]);
    await expect(router.route({ operation: 'op', data: {}, context: {}, signal })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('drops a cached user entry when the directory reports a change of their realms', async () => {
    const directory = postgresDirectory({ pool });
    closing.push(directory);
    await directory.ready();
    const router = lookupRouter<unknown, { userId: string }>({
      lookup: userRealmsLookup({ pool, user: ({ context }) => context.userId }),
      cache: { key: ({ context }) => context.userId, ttlMs: 3_600_000 },
    });
    directory.watch((change) => {
      if (change.type === 'realm') router.invalidate(change.id);
    });
    const ids = async () => (await router.route({ operation: 'op', data: {}, context: { userId: 'u3' }, signal })).map((i) => i.id);
    expect(await ids()).toEqual([]);
    await pool.query("INSERT INTO user_realms (user_id, instance_id) VALUES ('u3', 'cloud')");
    await eventually(async () => (await ids()).includes('cloud'));
  });
});
