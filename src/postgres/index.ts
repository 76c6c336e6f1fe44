/**
 * PostgreSQL for federation: the directory, route tables, realm lookups and their migrations.
 *
 * @module switchyard/postgres
 */
export { migrate, type MigrateOptions, type MigrateResult } from './migrate.js';
export { MIGRATIONS, DIRECTORY_CHANNEL, type Migration } from './migrations.js';
export {
  postgresDirectory,
  POSTGRES_DIRECTORY_DEFAULTS,
  type DirectoryInvalidateState,
  type PostgresDirectory,
  type PostgresDirectoryHooks,
  type PostgresDirectoryOptions,
} from './postgresDirectory.js';
export { postgresRouteTables, type Invalidatable, type PostgresRouteTables, type PostgresRouteTablesOptions } from './routeTables.js';
export { userRealmsLookup, type UserRealmsLookupOptions } from './realmLookup.js';
export { nodePools, type EndablePool, type NodePoolsOptions } from './nodePools.js';
export type { PgClient, PgPool, PgResult } from './pg.js';
