import { callEach, callHook } from '../_internal/callHook.js';
import { systemClock, type Clock } from '../_internal/clock.js';
import { clockSchema, expected, fn, parseOptions, timerMs, v } from '../_internal/validate.js';
import type { RouteTable } from '../routing/path/types.js';
import { startListener } from './_listener.js';
import { isPool, queryFailed, type PgPool } from './pg.js';

/** Options of {@link postgresRouteTables}. */
export interface PostgresRouteTablesOptions {
  /** Your `pg` Pool; one of its connections stays checked out for LISTEN. */
  pool: PgPool;
  /** First wait before the LISTEN connection reconnects; doubles up to 5 s. @default 100 */
  reconnectMs?: number;
  on?: {
    /** A route table changed in the database and the attached routers were told. */
    invalidate?(state: { key: string; version: number }): void;
    listenError?(state: { error: unknown }): void;
  };
  /** @default systemClock */
  clock?: Clock;
}

/** Something whose tables can be invalidated: a `RuntimeRouter`. */
export interface Invalidatable {
  invalidate(key: string): void;
}

/** Route tables in `switchyard_route_tables`, from {@link postgresRouteTables}. */
export interface PostgresRouteTables {
  /** The `load` of `createRuntimeRouter`: the table of `key`, or null when it has none. */
  load(key: string, context?: { signal?: AbortSignal }): Promise<RouteTable | null>;
  /** Sends every change of a table to `router.invalidate(key)`; returns the detach function. */
  attach(router: Invalidatable): () => void;
  /** Resolves once the LISTEN connection is up. */
  ready(): Promise<void>;
  /** Stops listening and returns the connection to the pool. */
  close(): Promise<void>;
}

const optionsSchema = v.object({
  pool: expected<PgPool>('a pg Pool (with `query` and `connect`)', isPool),
  reconnectMs: timerMs.optional(),
  on: v.object({ invalidate: fn().optional(), listenError: fn().optional() }).optional(),
  clock: clockSchema.optional(),
});

/**
 * Keeps the runtime router's route tables in PostgreSQL (one JSON table per key: a function, a
 * tenant) and tells every attached router when one changes, so an update reaches every replica
 * at once instead of after the TTL.
 *
 * Notifications carry the row's version: one not newer than the version last loaded for its key
 * is ignored. Every (re)connect invalidates each key loaded so far, since changes made while the
 * connection was down sent notifications nobody heard.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createRuntimeRouter } from 'switchyard/routing';
 * import { postgresRouteTables } from 'switchyard/postgres';
 * const tables = postgresRouteTables({ pool: new pg.Pool() });
 * const router = createRuntimeRouter({ load: tables.load });
 * tables.attach(router);
 * ```
 */
export function postgresRouteTables(options: PostgresRouteTablesOptions): PostgresRouteTables {
  parseOptions(optionsSchema, options, 'postgresRouteTables');
  const { pool, on } = options;
  const routers = new Set<Invalidatable>();
  // Version of the row each key's last load read; -1 when the key had no row.
  const loaded = new Map<string, number>();

  // One router's failure must not keep the change from the others.
  const tell = (key: string) => callEach(Array.from(routers, (router) => (k: string) => router.invalidate(k)), key);

  const listener = startListener({
    pool,
    clock: options.clock ?? systemClock,
    backoffMs: options.reconnectMs ?? 100,
    maxBackoffMs: 5_000,
    notification(note) {
      if (note.table !== 'switchyard_route_tables') return;
      const version = loaded.get(note.key);
      const late = note.op === 'DELETE' ? version === -1 : version !== undefined && version >= note.version;
      if (late) return;
      tell(note.key);
      callHook(on?.invalidate, { key: note.key, version: note.version });
    },
    async connected(reconnect) {
      if (reconnect) for (const key of loaded.keys()) tell(key);
    },
    error(error) {
      callHook(on?.listenError, { error });
    },
  });

  return {
    async load(key) {
      let rows: { routes: RouteTable; version: string }[];
      try {
        ({ rows } = await pool.query('SELECT routes, version::text AS version FROM switchyard_route_tables WHERE key = $1', [key]));
      } catch (cause) {
        throw queryFailed('switchyard_route_tables lookup', cause);
      }
      const row = rows[0];
      loaded.set(key, row === undefined ? -1 : Number(row.version));
      return row === undefined ? null : row.routes;
    },
    attach(router) {
      routers.add(router);
      return () => routers.delete(router);
    },
    ready: () => listener.ready(),
    async close() {
      routers.clear();
      await listener.close();
    },
  };
}
