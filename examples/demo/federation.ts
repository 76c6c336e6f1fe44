import pg from 'pg';
import { createFanout, firstSuccess, httpStatusOf, isSwitchyardError, type Instance } from '../../src/index.js';
import { migrate, nodePools, postgresDirectory } from '../../src/postgres/index.js';
import { federationRouter, tenantFrom, type FederationRouteState } from '../../src/routing/index.js';
import { bold, dim, table } from './render.js';
import { startLocalPostgres } from '../shared/postgres.js';

type Write = (line?: string) => void;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Chapter 7: tenants served from their own PostgreSQL database. Two databases are two nodes of a
 * directory in a third; the BFF routes by `X-Tenant-ID` and queries the tenant's node through a
 * `pg` Pool per node.
 */
export async function playFederation(write: Write): Promise<void> {
  write();
  write(bold('== 7. Tenants on their own databases — federationRouter, PostgreSQL directory '.padEnd(78, '=')));
  write();
  const postgres = await startLocalPostgres({ user: 'demo', password: 'demo-password' });
  const admin = new pg.Pool({ connectionString: postgres.url('postgres'), max: 4 });
  const nodeIds = ['node-a', 'node-b', 'node-c', 'default'];
  let directory: ReturnType<typeof postgresDirectory> | undefined;
  let pools: ReturnType<typeof nodePools> | undefined;
  try {
    for (const id of nodeIds) await admin.query(`CREATE DATABASE "${id.replace('-', '_')}"`);
    await migrate(admin);
    for (const id of nodeIds) {
      await admin.query("INSERT INTO federation_nodes (node_id, region, database_url) VALUES ($1, 'eu', $2)", [id, postgres.url(id.replace('-', '_'))]);
    }
    await admin.query("INSERT INTO tenant_federation_map (tenant_id, primary_node_id, primary_region) VALUES ('A', 'node-a', 'eu'), ('B', 'node-b', 'eu')");

    const seen = new Map<string, () => void>();
    directory = postgresDirectory({ pool: admin, on: { invalidate: (s) => seen.get(s.key)?.() } });
    await directory.ready();
    pools = nodePools({ directory, maxConnections: 2 });
    const fallbacks: FederationRouteState[] = [];
    const worker = async (instance: Instance) => {
      const db = await pools!.get(instance);
      const { rows } = await db.query('SELECT current_database() AS database');
      return { node: instance.id, database: rows[0].database as string, fallback: instance.meta?.fallback === true };
    };
    const strict = createFanout({ router: federationRouter({ directory, tenant: tenantFrom() }), timeoutMs: 2_000, deadlineMs: 5_000 });
    const withDefault = createFanout({
      router: federationRouter({ directory, tenant: tenantFrom(), fallback: { nodeId: 'default' }, on: { fallback: (s) => fallbacks.push(s) } }),
      timeoutMs: 2_000,
      deadlineMs: 5_000,
    });
    const ask = async (fanout: typeof strict, tenant: string): Promise<string[]> => {
      const request = new Request('http://bff.local/orders', { headers: { 'x-tenant-id': tenant } });
      try {
        const answer = await fanout.run({ operation: 'orders', data: request, context: {}, worker, strategy: firstSuccess() });
        return [tenant, answer.node, answer.database, answer.fallback ? 'yes (flagged)' : 'no', '200'];
      } catch (error) {
        const code = isSwitchyardError(error) ? error.code : 'error';
        return [tenant, '-', '-', '-', `${httpStatusOf(error)} ${code}`];
      }
    };
    const head = ['tenant', 'node', 'database', 'default node', 'answer'];

    write(dim('directory: A → node-a, B → node-b; nodes node-a, node-b, node-c and default are databases of one server.'));
    write();
    for (const line of table(head, [await ask(strict, 'A'), await ask(strict, 'B')])) write(line);
    write();

    write(bold("move B to node-c in the directory (one UPDATE), no restart:"));
    const notified = new Promise<void>((resolve) => seen.set('B', resolve));
    const started = performance.now();
    await admin.query("UPDATE tenant_federation_map SET primary_node_id = 'node-c' WHERE tenant_id = 'B'");
    await notified;
    const latency = performance.now() - started;
    for (const line of table(head, [await ask(strict, 'B')])) write(line);
    write(`the BFF heard of the change ${latency.toFixed(1)} ms after the UPDATE was sent (LISTEN/NOTIFY)`);
    write();

    write(bold('an unknown tenant, with no default node configured, is refused:'));
    for (const line of table(head, [await ask(strict, 'Z')])) write(line);
    write();

    write(bold('with `fallback: { nodeId: "default" }` only an unmapped tenant goes there, flagged:'));
    await admin.query("UPDATE federation_nodes SET status = 'down' WHERE node_id = 'node-a'");
    while ((await directory.node('node-a'))?.status !== 'down') await sleep(5);
    write(dim('node-a is now marked down; A has no secondary.'));
    for (const line of table(head, [await ask(withDefault, 'Z'), await ask(withDefault, 'A'), await ask(withDefault, 'B')])) write(line);
    write(`on.fallback calls: ${fallbacks.map((s) => `${s.tenant} → ${s.nodeId}`).join(', ')}`);
    write(dim("A's node is down: A gets 503, never the default node and never another tenant's node."));
  } finally {
    await pools?.close();
    await directory?.close();
    await admin.end();
    await postgres.stop();
  }
}
