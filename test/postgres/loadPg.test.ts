import { afterEach, describe, expect, it, vi } from 'vitest';

describe('switchyard/postgres without pg installed', () => {
  afterEach(() => {
    vi.doUnmock('pg');
    vi.resetModules();
  });

  it('says to install pg when a node pool needs it', async () => {
    // Stands in for a missing install: resolving `pg` fails the way Node's resolver does.
    vi.doMock('pg', () => {
      throw Object.assign(new Error("Cannot find package 'pg' imported from switchyard"), { code: 'ERR_MODULE_NOT_FOUND' });
    });
    const { loadPg } = await import('../../src/postgres/pg.js');
    await expect(loadPg()).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: 'Expected the `pg` package to be installed for `switchyard/postgres`: install pg',
    });
  });

  it('loads the directory, migrations and route tables without pg (they use the pool you pass)', async () => {
    vi.doMock('pg', () => {
      throw new Error('pg must not be loaded here');
    });
    const postgres = await import('../../src/postgres/index.js');
    expect(Object.keys(postgres).sort()).toEqual(
      ['DIRECTORY_CHANNEL', 'MIGRATIONS', 'POSTGRES_DIRECTORY_DEFAULTS', 'migrate', 'nodePools', 'postgresDirectory', 'postgresRouteTables', 'userRealmsLookup'].sort(),
    );
  });
});
