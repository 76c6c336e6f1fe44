/* eslint-disable @typescript-eslint/no-explicit-any */
import { redactedError } from '../_internal/redact.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';

/** What switchyard needs of a query result. */
export interface PgResult {
  rows: any[];
}

/** A connection checked out of a pool (a `pg` `PoolClient` fits). */
export interface PgClient {
  query(text: string, values?: any[]): Promise<PgResult>;
  /** Returns the connection to its pool; with an error, the pool closes it instead. */
  release(error?: Error | boolean): void;
  on(event: any, listener: any): unknown;
  removeListener(event: any, listener: any): unknown;
}

/** A connection pool (a `pg` `Pool` fits): switchyard never creates one for your directory. */
export interface PgPool {
  query(text: string, values?: any[]): Promise<PgResult>;
  connect(): Promise<PgClient>;
}

/** The `pg` module, loaded only when switchyard has to create a pool itself. */
export async function loadPg(): Promise<{ Pool: new (config: { connectionString: string; max?: number }) => PgPool & { end(): Promise<void> } }> {
  try {
    const module = (await import('pg')) as any;
    return module.default ?? module;
  } catch (cause) {
    throw new SwitchyardError('INVALID_CONFIG', 'Expected the `pg` package to be installed for `switchyard/postgres`: install pg', { cause });
  }
}

/**
 * A query's error as switchyard rethrows it: a generic message, and the driver's error on `cause`
 * with credentials masked (driver messages can carry connection strings).
 */
export function queryFailed(what: string, cause: unknown): SwitchyardError {
  return new SwitchyardError('UPSTREAM_ERROR', `PostgreSQL query failed: ${what}`, { cause: redactedError(cause) });
}

/** A check for `pool` options: something with `query` and `connect`. */
export function isPool(value: unknown): value is PgPool {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PgPool).query === 'function' &&
    typeof (value as PgPool).connect === 'function'
  );
}
