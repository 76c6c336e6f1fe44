import { expected, fn, parseOptions, v } from '../_internal/validate.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { Instance, RouteInput } from '../router/types.js';
import { isPool, queryFailed, type PgPool } from './pg.js';

/** Options of {@link userRealmsLookup}. */
export interface UserRealmsLookupOptions<Data, Ctx> {
  pool: PgPool;
  /** The user of a call (`context.user.id`); a call without one fails with `INVALID_INPUT`. */
  user: (input: RouteInput<Data, Ctx>) => string | undefined;
}

const optionsSchema = v.object({
  pool: expected<PgPool>('a pg Pool (with `query` and `connect`)', isPool),
  user: fn(),
});

interface RealmRow {
  instance_id: string;
  region: string | null;
  url: string | null;
  status: string | null;
}

/**
 * A `lookup` for `lookupRouter` over the `user_realms` table: the instances a user belongs to
 * ("SELECT instance FROM user_realms WHERE user_id = …"), joined with `federation_nodes` for
 * their region and URL. Instances whose node is `down` are left out; ids without a node row are
 * returned as `{ id }` for the worker to resolve.
 *
 * Pair it with `lookupRouter`'s per-user cache and drop a user's entry when the directory reports
 * a `realm` change for them.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { lookupRouter } from 'switchyard';
 * import { postgresDirectory, userRealmsLookup } from 'switchyard/postgres';
 * const pool = new pg.Pool();
 * const router = lookupRouter<unknown, { userId: string }>({
 *   lookup: userRealmsLookup({ pool, user: ({ context }) => context.userId }),
 *   cache: { key: ({ context }) => context.userId, ttlMs: 60_000 },
 * });
 * postgresDirectory({ pool }).watch((change) => {
 *   if (change.type === 'realm') router.invalidate(change.id);
 *   if (change.type === 'reload') router.invalidate();
 * });
 * ```
 */
export function userRealmsLookup<Data = unknown, Ctx = unknown>(
  options: UserRealmsLookupOptions<Data, Ctx>,
): (input: RouteInput<Data, Ctx>) => Promise<Instance[]> {
  parseOptions(optionsSchema, options, 'userRealmsLookup');
  const { pool, user } = options;
  return async (input) => {
    const userId = user(input);
    if (typeof userId !== 'string' || userId.length === 0) throw new SwitchyardError('INVALID_INPUT', 'Expected a user id for the user_realms lookup');
    let rows: RealmRow[];
    try {
      ({ rows } = await pool.query(
        `SELECT r.instance_id, n.region, n.url, n.status
           FROM user_realms r LEFT JOIN federation_nodes n ON n.node_id = r.instance_id
          WHERE r.user_id = $1 ORDER BY r.instance_id`,
        [userId],
      ));
    } catch (cause) {
      throw queryFailed('user_realms lookup', cause);
    }
    return rows
      .filter((row) => row.status !== 'down')
      .map((row) => ({
        id: row.instance_id,
        ...(row.region === null ? {} : { region: row.region }),
        ...(row.url === null ? {} : { url: row.url }),
      }));
  };
}
