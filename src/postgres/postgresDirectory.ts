import { callEach, callHook } from '../_internal/callHook.js';
import { systemClock, type Clock } from '../_internal/clock.js';
import { clockSchema, expected, fn, parseOptions, positiveInteger, timerMs, v } from '../_internal/validate.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { DirectoryChange, FederationDirectory, FederationNode, NodeStatus, TenantPlacement } from '../routing/federation/types.js';
import { startListener, type DirectoryNotification } from './_listener.js';
import { versionedCache, type Loaded, type VersionedCache } from './_versionedCache.js';
import { isPool, queryFailed, type PgPool } from './pg.js';

/** What `on.invalidate` sees for each change notification. */
export interface DirectoryInvalidateState {
  table: string;
  key: string;
  version: number;
  /** True when the notification was late (the cache already had this version) and changed nothing. */
  ignored: boolean;
}

/** Hooks of {@link postgresDirectory}; each takes one state object and must not throw. */
export interface PostgresDirectoryHooks {
  /** The LISTEN connection is up and the cache was reloaded (`reconnect` after a loss). */
  listen?(state: { reconnect: boolean }): void;
  /** The LISTEN connection failed or was lost; it reconnects with backoff. The cache keeps serving until its TTL. */
  listenError?(state: { error: unknown }): void;
  invalidate?(state: DirectoryInvalidateState): void;
}

/** Options of {@link postgresDirectory}. */
export interface PostgresDirectoryOptions {
  /** Your `pg` Pool on the directory database; one of its connections stays checked out for LISTEN. */
  pool: PgPool;
  /** How long a looked-up tenant or node is trusted without a notification. @default 60_000 */
  ttlMs?: number;
  /** How long "no such tenant" is remembered; an insert's notification drops it sooner. @default 1_000 */
  negativeTtlMs?: number;
  /** Most tenants cached (least recently used go first). @default 10_000 */
  maxTenants?: number;
  /** Most nodes cached. @default 10_000 */
  maxNodes?: number;
  /** First wait before the LISTEN connection reconnects; doubles up to 5 s. @default 100 */
  reconnectMs?: number;
  on?: PostgresDirectoryHooks;
  /** @default systemClock */
  clock?: Clock;
}

/** The PostgreSQL federation directory, from {@link postgresDirectory}. */
export interface PostgresDirectory extends FederationDirectory {
  watch(listener: (change: DirectoryChange) => void): () => void;
  /** Resolves once the LISTEN connection is up and the first load is done. */
  ready(): Promise<void>;
  /** True while the LISTEN connection is up. */
  readonly listening: boolean;
  /** Stops listening and returns the connection to the pool; the pool itself stays yours. */
  close(): Promise<void>;
}

/** The directory's defaults, documented in docs/federation.md. */
export const POSTGRES_DIRECTORY_DEFAULTS = {
  ttlMs: 60_000,
  negativeTtlMs: 1_000,
  maxTenants: 10_000,
  maxNodes: 10_000,
  reconnectMs: 100,
} as const;

const optionsSchema = v.object({
  pool: expected<PgPool>('a pg Pool (with `query` and `connect`)', isPool),
  ttlMs: timerMs.optional(),
  negativeTtlMs: timerMs.optional(),
  maxTenants: positiveInteger.optional(),
  maxNodes: positiveInteger.optional(),
  reconnectMs: timerMs.optional(),
  on: v.object({ listen: fn().optional(), listenError: fn().optional(), invalidate: fn().optional() }).optional(),
  clock: clockSchema.optional(),
});

const STATUSES = new Set<NodeStatus>(['active', 'draining', 'down']);

interface NodeRow {
  node_id: string;
  region: string;
  url: string | null;
  database_url: string | null;
  status: string;
  priority: number;
  metadata: Record<string, unknown> | null;
  version: string;
}

interface TenantRow {
  tenant_id: string;
  primary_node_id: string;
  primary_region: string;
  federation_metadata: Record<string, unknown> | null;
  version: string;
  rules: { region: string; nodeId: string; primary: boolean; weight: number; version: number }[];
}

function nodeFromRow(row: NodeRow): FederationNode {
  return Object.freeze({
    id: row.node_id,
    region: row.region,
    // An unknown status (edited by hand) is read as `down`: never route to what we cannot read.
    status: STATUSES.has(row.status as NodeStatus) ? (row.status as NodeStatus) : 'down',
    priority: row.priority,
    ...(row.url === null ? {} : { url: row.url }),
    ...(row.database_url === null ? {} : { databaseUrl: row.database_url }),
    ...(row.metadata === null ? {} : { meta: Object.freeze(row.metadata) }),
  });
}

const NODE_COLUMNS = 'node_id, region, url, database_url, status, priority, metadata, version::text AS version';

/** The row key the notify trigger sends: `\n` before each row-key column. */
const rowKey = (...parts: string[]) => parts.map((part) => `\n${part}`).join('');


/**
 * Creates a {@link FederationDirectory} over the `federation_nodes`, `tenant_federation_map` and
 * `federation_routing` tables (create them with `migrate(pool)`).
 *
 * Lookups are answered from an lru-cache (TTL `ttlMs`); each miss is one query, shared by
 * concurrent callers. Triggers on the tables send a notification per changed row with the row's
 * version; the directory LISTENs on one pooled connection and drops what changed, ignoring a
 * late notification older than what it holds. LISTEN/NOTIFY has no replay, so every
 * (re)connect reloads all nodes and every cached tenant. "No such tenant" is cached for
 * `negativeTtlMs` only, and the notification of the tenant's insert drops it at once.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { federationRouter, tenantFrom } from 'switchyard/routing';
 * import { migrate, postgresDirectory } from 'switchyard/postgres';
 * const pool = new pg.Pool({ connectionString: process.env.DIRECTORY_URL });
 * await migrate(pool);
 * const directory = postgresDirectory({ pool });
 * const router = federationRouter({ directory, tenant: tenantFrom() });
 * ```
 */
export function postgresDirectory(options: PostgresDirectoryOptions): PostgresDirectory {
  parseOptions(optionsSchema, options, 'postgresDirectory');
  const { pool, on } = options;
  const clock = options.clock ?? systemClock;
  const ttlMs = options.ttlMs ?? POSTGRES_DIRECTORY_DEFAULTS.ttlMs;
  const negativeTtlMs = options.negativeTtlMs ?? POSTGRES_DIRECTORY_DEFAULTS.negativeTtlMs;
  const watchers = new Set<(change: DirectoryChange) => void>();

  const query = async (text: string, values: unknown[], what: string) => {
    try {
      return (await pool.query(text, values)).rows;
    } catch (cause) {
      throw queryFailed(what, cause);
    }
  };

  const nodes: VersionedCache<FederationNode> = versionedCache({
    max: options.maxNodes ?? POSTGRES_DIRECTORY_DEFAULTS.maxNodes,
    ttlMs,
    negativeTtlMs,
    clock,
    async load(keys) {
      const rows = (keys === 'all'
        ? await query(`SELECT ${NODE_COLUMNS} FROM federation_nodes`, [], 'federation_nodes lookup')
        : await query(`SELECT ${NODE_COLUMNS} FROM federation_nodes WHERE node_id = ANY($1::text[])`, [keys], 'federation_nodes lookup')) as NodeRow[];
      return new Map(rows.map((row) => [row.node_id, { value: nodeFromRow(row), rows: new Map([[rowKey(), Number(row.version)]]) }]));
    },
  });

  const tenants: VersionedCache<TenantPlacement> = versionedCache({
    max: options.maxTenants ?? POSTGRES_DIRECTORY_DEFAULTS.maxTenants,
    ttlMs,
    negativeTtlMs,
    clock,
    async load(keys) {
      const list = keys === 'all' ? [] : keys;
      if (list.length === 0) return new Map();
      // One statement, so the map row and its rules come from one snapshot.
      const rows = (await query(
        `SELECT m.tenant_id, m.primary_node_id, m.primary_region, m.federation_metadata, m.version::text AS version,
                COALESCE((SELECT json_agg(json_build_object('region', r.region, 'nodeId', r.node_id, 'primary', r.is_primary,
                                                            'weight', r.weight, 'version', r.version)
                                          ORDER BY r.is_primary DESC, r.region, r.node_id)
                          FROM federation_routing r WHERE r.tenant_id = m.tenant_id), '[]'::json) AS rules
           FROM tenant_federation_map m WHERE m.tenant_id = ANY($1::text[])`,
        [list],
        'tenant_federation_map lookup',
      )) as TenantRow[];
      const found = new Map<string, Loaded<TenantPlacement>>();
      for (const row of rows) {
        const versions = new Map<string, number>([[rowKey(), Number(row.version)]]);
        for (const rule of row.rules) versions.set(rowKey(rule.region, rule.nodeId), rule.version);
        const placement: TenantPlacement = Object.freeze({
          tenantId: row.tenant_id,
          primaryNodeId: row.primary_node_id,
          primaryRegion: row.primary_region,
          rules: Object.freeze(row.rules.map((rule) => Object.freeze({ region: rule.region, nodeId: rule.nodeId, primary: rule.primary, weight: rule.weight }))),
          ...(row.federation_metadata === null ? {} : { meta: Object.freeze(row.federation_metadata) }),
        });
        found.set(row.tenant_id, { value: placement, rows: versions });
      }
      return found;
    },
  });

  const emit = (change: DirectoryChange) => callEach(watchers, change);

  const onNotification = (note: DirectoryNotification) => {
    const change = { key: note.key, row: note.row, version: note.version, deleted: note.op === 'DELETE' };
    let applied: boolean;
    let event: DirectoryChange;
    if (note.table === 'federation_nodes') {
      applied = nodes.apply({ ...change, row: rowKey() });
      event = { type: 'node', id: note.key };
    } else if (note.table === 'tenant_federation_map') {
      applied = tenants.apply({ ...change, row: rowKey() });
      event = { type: 'tenant', id: note.key };
    } else if (note.table === 'federation_routing') {
      applied = tenants.apply(change);
      event = { type: 'tenant', id: note.key };
    } else if (note.table === 'user_realms') {
      applied = true;
      event = { type: 'realm', id: note.key };
    } else {
      return;
    }
    callHook(on?.invalidate, { table: note.table, key: note.key, version: note.version, ignored: !applied });
    // Watchers hear every change, also one the cache had already read: a lookup may have beaten the
    // notification, and watchers (node clients) keep state of their own.
    emit(event);
  };

  const listener = startListener({
    pool,
    clock,
    backoffMs: options.reconnectMs ?? POSTGRES_DIRECTORY_DEFAULTS.reconnectMs,
    maxBackoffMs: 5_000,
    notification: onNotification,
    async connected(reconnect) {
      await Promise.all([nodes.reload('all'), tenants.reload('cached')]);
      callHook(on?.listen, { reconnect });
      if (reconnect) emit({ type: 'reload' });
    },
    error: (error) => callHook(on?.listenError, { error }),
  });

  const guard = <T>(lookup: () => T | Promise<T>, id: unknown, what: string): T | Promise<T> => {
    if (typeof id !== 'string' || id.length === 0) throw new SwitchyardError('INVALID_INPUT', `Expected a non-empty ${what} id`);
    return lookup();
  };

  return {
    tenant: (tenantId) => guard(() => tenants.get(tenantId), tenantId, 'tenant'),
    node: (nodeId) => guard(() => nodes.get(nodeId), nodeId, 'node'),
    watch(watcher) {
      watchers.add(watcher);
      return () => watchers.delete(watcher);
    },
    ready: () => listener.ready(),
    get listening() {
      return listener.connected;
    },
    async close() {
      watchers.clear();
      await listener.close();
      nodes.clear();
      tenants.clear();
    },
  };
}
