import { expected, fn, parseOptions, positiveInteger, timerMs, v } from '../../_internal/validate.js';
import { SwitchyardError } from '../../errors/SwitchyardError.js';
import type { Instance } from '../../router/types.js';
import { clientPool } from '../pool/clientPool.js';
import type { FederationDirectory, FederationNode } from './types.js';

/** Options of {@link nodeClients}. */
export interface NodeClientsOptions<C> {
  /** The directory whose nodes the clients connect to; its changes evict clients. */
  directory: FederationDirectory;
  /** Creates the client of a node (a `pg.Pool` on `node.databaseUrl`, a tRPC client on `node.url`). */
  create(node: FederationNode): C | Promise<C>;
  /** Closes a client. What it throws is ignored. */
  dispose?(client: C, node: FederationNode): void | Promise<void>;
  /** See `ClientPoolOptions.check`. */
  check?(client: C, node: FederationNode): boolean | Promise<boolean>;
  /** Most live clients. @default Infinity */
  max?: number;
  /** See `ClientPoolOptions.checkIntervalMs`. */
  checkIntervalMs?: number;
}

/** One client per federation node, from {@link nodeClients}. */
export interface NodeClients<C> {
  /** The client of a routed instance (or node id). Rejects with `TENANT_UNAVAILABLE` for a node that is gone or `down`. */
  get(node: Instance | string): Promise<C>;
  /** Node ids with a live client. */
  keys(): string[];
  /** Stops watching the directory and disposes every client. */
  close(): Promise<void>;
}

const optionsSchema = v.object({
  directory: expected<FederationDirectory>('a FederationDirectory', (v) => typeof v === 'object' && v !== null && typeof (v as FederationDirectory).node === 'function'),
  create: fn(),
  dispose: fn().optional(),
  check: fn().optional(),
  max: positiveInteger.optional(),
  checkIntervalMs: timerMs.optional(),
});

/** The parts of a node a client is built from: a change of any of them means a new client. */
const connectionOf = (node: FederationNode) => `${node.url ?? ''}\n${node.databaseUrl ?? ''}`;

/**
 * Keeps one client per federation node (a connection pool per node, say) on `clientPool`:
 * created on first use, reused, health-checked, and disposed as soon as the directory says the
 * node was removed, went `down`, or changed its `url` or `databaseUrl`.
 *
 * Errors name the node id, never its URLs: a failing `create` is reported with credentials masked.
 *
 * @example
 * ```ts
 * import { memoryDirectory, nodeClients } from 'switchyard/routing';
 * const directory = memoryDirectory();
 * const clients = nodeClients({
 *   directory,
 *   create: (node) => ({ base: node.url }),
 * });
 * ```
 */
export function nodeClients<C>(options: NodeClientsOptions<C>): NodeClients<C> {
  parseOptions(optionsSchema, options, 'nodeClients');
  const { directory } = options;
  const built = new Map<string, string>();
  const pool = clientPool<FederationNode, C>({
    create: async (node) => {
      const client = await options.create(node);
      built.set(node.id, connectionOf(node));
      return client;
    },
    dispose: async (client, node) => {
      if (built.get(node.id) === connectionOf(node)) built.delete(node.id);
      await options.dispose?.(client, node);
    },
    ...(options.check === undefined ? {} : { check: options.check }),
    ...(options.max === undefined ? {} : { max: options.max }),
    ...(options.checkIntervalMs === undefined ? {} : { checkIntervalMs: options.checkIntervalMs }),
    keyOf: (node) => node.id,
  });

  const stub = (id: string) => ({ id, region: '', status: 'down', priority: 0 }) as FederationNode;
  const recheck = async (id: string) => {
    let node: FederationNode | undefined;
    try {
      node = await directory.node(id);
    } catch {
      // The directory is unreachable: keep the client; the next change or reload checks again.
      return;
    }
    if (node === undefined || node.status === 'down' || built.get(id) !== connectionOf(node)) await pool.evict(node ?? stub(id));
  };
  const unwatch = directory.watch?.((change) => {
    if (change.type === 'node' && pool.keys().includes(change.id)) void recheck(change.id);
    if (change.type === 'reload') for (const id of pool.keys()) void recheck(id);
  });

  return {
    async get(target) {
      const id = typeof target === 'string' ? target : target.id;
      const node = await directory.node(id);
      if (node === undefined || node.status === 'down') {
        if (pool.keys().includes(id)) await pool.evict(node ?? stub(id));
        throw new SwitchyardError('TENANT_UNAVAILABLE', 'The node is not available', { instances: [id] });
      }
      const previous = built.get(id);
      if (previous !== undefined && previous !== connectionOf(node)) await pool.evict(node);
      return pool.get(node);
    },
    keys: () => pool.keys(),
    async close() {
      unwatch?.();
      await pool.close();
    },
  };
}
