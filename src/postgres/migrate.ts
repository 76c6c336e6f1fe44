import { expected, parseOptions, v } from '../_internal/validate.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import { isPool, queryFailed, type PgPool } from './pg.js';

/** What `migrate` did. */
export interface MigrateResult {
  /** Versions applied by this call, in order; empty when the database was up to date. */
  applied: number[];
  /** The highest version the database has now. */
  current: number;
}

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** The migrations to apply. @default MIGRATIONS (the schema this package needs) */
  migrations?: readonly Migration[];
}

// One fixed advisory lock key ("switchyd" in ASCII) for every switchyard migration in a database.
const LOCK_KEY = '8319381496591434852';

const optionsSchema = v.object({
  migrations: v
    .array(v.object({ version: expected<number>('an integer >= 1', (v) => Number.isInteger(v) && (v as number) >= 1), name: v.string(), sql: v.string() }))
    .optional(),
});

/**
 * Applies the migrations the database has not seen yet, each in its own transaction, and records
 * them in `switchyard_migrations`.
 *
 * Safe to run at every start from every replica at once: a session advisory lock lets one run at
 * a time, and each run applies only what is missing, so a second run does nothing.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { migrate } from 'switchyard/postgres';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool);
 * ```
 */
export async function migrate(pool: PgPool, options: MigrateOptions = {}): Promise<MigrateResult> {
  if (!isPool(pool)) throw new SwitchyardError('INVALID_CONFIG', 'Expected `migrate(pool)` to get a pg Pool (with `query` and `connect`)');
  parseOptions(optionsSchema, options, 'migrate');
  const migrations = [...(options.migrations ?? MIGRATIONS)].sort((a, b) => a.version - b.version);
  let client;
  try {
    client = await pool.connect();
  } catch (cause) {
    throw queryFailed('could not connect to run migrations', cause);
  }
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [LOCK_KEY]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS switchyard_migrations (
        version    integer PRIMARY KEY,
        name       text        NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const { rows } = await client.query('SELECT version FROM switchyard_migrations');
      const done = new Set(rows.map((row: { version: number }) => Number(row.version)));
      const applied: number[] = [];
      for (const migration of migrations) {
        if (done.has(migration.version)) continue;
        try {
          await client.query('BEGIN');
          await client.query(migration.sql);
          await client.query('INSERT INTO switchyard_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
          await client.query('COMMIT');
        } catch (cause) {
          await client.query('ROLLBACK').catch(() => {});
          throw queryFailed(`migration ${migration.version} (${migration.name}) was not applied`, cause);
        }
        applied.push(migration.version);
        done.add(migration.version);
      }
      return { applied, current: Math.max(0, ...done) };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [LOCK_KEY]).catch((error: Error) => {
        broken = error;
      });
    }
  } catch (error) {
    broken = error instanceof Error ? error : new Error('migration failed');
    if (error instanceof SwitchyardError) throw error;
    throw queryFailed('migrations could not run', error);
  } finally {
    // A connection whose lock state is unknown is closed, not returned to the pool.
    client.release(broken);
  }
}
