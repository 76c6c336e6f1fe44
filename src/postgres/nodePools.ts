import { nodeClients, type NodeClients } from '../routing/federation/nodeClients.js';
import type { FederationDirectory } from '../routing/federation/types.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import { loadPg, type PgPool } from './pg.js';

/** A `pg` Pool that can be ended. */
export type EndablePool = PgPool & { end(): Promise<void> };

/** Options of {@link nodePools}. */
export interface NodePoolsOptions {
  directory: FederationDirectory;
  /** Connections per node pool. @default 10 */
  maxConnections?: number;
  /** Most node pools open at once; the least recently used is ended first. @default Infinity */
  max?: number;
}

/**
 * A `pg` Pool per federation node, on the node's `databaseUrl`: created on first use, ended as
 * soon as the node is removed, goes `down` or gets a new URL. Needs the `pg` package; errors name
 * the node, never its URL or password.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { nodePools, postgresDirectory } from 'switchyard/postgres';
 * const directory = postgresDirectory({ pool: new pg.Pool() });
 * const pools = nodePools({ directory });
 * // in a worker: const db = await pools.get(instance); await db.query('SELECT 1');
 * ```
 */
export function nodePools(options: NodePoolsOptions): NodeClients<EndablePool> {
  return nodeClients<EndablePool>({
    directory: options.directory,
    async create(node) {
      if (node.databaseUrl === undefined) throw new SwitchyardError('INVALID_CONFIG', `Node \`${node.id}\` has no database_url`);
      const { Pool } = await loadPg();
      const pool = new Pool({ connectionString: node.databaseUrl, max: options.maxConnections ?? 10 });
      // An idle connection's error (the node restarted) is emitted on the pool; without a listener it would crash the process.
      (pool as unknown as { on(event: string, listener: () => void): void }).on('error', () => {});
      return pool;
    },
    dispose: (pool) => pool.end(),
    ...(options.max === undefined ? {} : { max: options.max }),
  });
}
