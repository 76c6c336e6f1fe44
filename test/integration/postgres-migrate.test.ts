import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/postgres/migrate.js';
import { MIGRATIONS } from '../../src/postgres/migrations.js';
import { usePostgres } from '../helpers/postgres-server.js';

const postgres = usePostgres();
const child = fileURLToPath(new URL('./fixtures/migrate-child.ts', import.meta.url));
const pools: pg.Pool[] = [];

beforeAll(async () => {
  const admin = postgres.server.pool();
  for (const name of ['concurrent', 'repeat', 'broken']) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
});

afterAll(async () => {
  for (const pool of pools) await pool.end();
});

function poolOn(database: string): pg.Pool {
  const pool = postgres.server.pool(database, 4);
  pools.push(pool);
  return pool;
}

interface ChildRun {
  code: number | null;
  output: string;
}

/** Starts a migrate process; it waits for `go()` so several can start at the same moment. */
function startChild(database: string): { ready: Promise<void>; go(): void; done: Promise<ChildRun> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', child], {
    env: { ...process.env, DATABASE_URL: postgres.server.url(database) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  proc.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes('ready\n')) markReady();
  });
  proc.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return {
    ready,
    go: () => proc.stdin.write('go\n'),
    // 'close' (not 'exit') fires after the stdio pipes have closed, so nothing is left open.
    done: new Promise((resolve) => proc.once('close', (code) => resolve({ code, output }))),
  };
}

describe('migrate', () => {
  it('runs from two processes at once: one applies every migration, the other finds nothing to do', async () => {
    const children = [startChild('concurrent'), startChild('concurrent')];
    // Both processes are loaded and connected before either starts.
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.go();
    const runs = await Promise.all(children.map((c) => c.done));
    for (const run of runs) expect(run.code, run.output).toBe(0);
    const results = runs.map((run) => JSON.parse(run.output.trim().split('\n').at(-1)!) as { applied: number[]; current: number });
    const all = MIGRATIONS.map((m) => m.version);
    expect(results.map((r) => r.applied).sort((a, b) => b.length - a.length)).toEqual([all, []]);
    expect(results.map((r) => r.current)).toEqual([all.at(-1), all.at(-1)]);
    const { rows } = await poolOn('concurrent').query('SELECT version FROM switchyard_migrations ORDER BY version');
    expect(rows.map((r: { version: number }) => r.version)).toEqual(all);
  });

  it('is idempotent: a second run applies nothing and leaves the schema working', async () => {
    const pool = poolOn('repeat');
    expect((await migrate(pool)).applied).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await migrate(pool)).toEqual({ applied: [], current: MIGRATIONS.at(-1)!.version });
    await pool.query("INSERT INTO federation_nodes (node_id, region) VALUES ('n1', 'eu')");
    const { rows } = await pool.query("SELECT status, priority, version > 0 AS stamped FROM federation_nodes WHERE node_id = 'n1'");
    expect(rows).toEqual([{ status: 'active', priority: 0, stamped: true }]);
  });

  it('rolls back a failing migration, records nothing for it, and names it without the driver text', async () => {
    const pool = poolOn('broken');
    const migrations = [
      { version: 1, name: 'good', sql: 'CREATE TABLE good_one (id int)' },
      { version: 2, name: 'bad', sql: 'CREATE TABLE half_done (id int); SELECT * FROM no_such_table' },
    ];
    await expect(migrate(pool, { migrations })).rejects.toMatchObject({
      code: 'UPSTREAM_ERROR',
      message: 'PostgreSQL query failed: migration 2 (bad) was not applied',
    });
    const { rows } = await pool.query("SELECT to_regclass('half_done') AS half, to_regclass('good_one') AS good");
    expect(rows).toEqual([{ half: null, good: 'good_one' }]);
    expect((await pool.query('SELECT version FROM switchyard_migrations')).rows).toEqual([{ version: 1 }]);
    // The lock was released: the next run goes ahead.
    expect(await migrate(pool, { migrations: migrations.slice(0, 1) })).toEqual({ applied: [], current: 1 });
  });

  it('refuses something that is not a pool', async () => {
    await expect(migrate({} as never)).rejects.toThrow('Expected `migrate(pool)` to get a pg Pool (with `query` and `connect`)');
  });
});
