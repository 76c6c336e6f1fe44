import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { locateRedisServer } from './findRedisServer.js';

describe('locateRedisServer', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-find-redis-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds redis-server in a PATH folder', async () => {
    const binary = join(dir, 'redis-server');
    await writeFile(binary, '#!/bin/sh\n');
    await chmod(binary, 0o755);
    await expect(locateRedisServer({ configured: undefined, path: `/nonexistent:${dir}`, systemFolders: false })).resolves.toBe(binary);
  });

  it('skips a redis-server that is not executable', async () => {
    await writeFile(join(dir, 'redis-server'), 'not a program');
    await expect(locateRedisServer({ configured: undefined, path: dir, systemFolders: false, canInstall: false })).rejects.toThrow(
      /need a `redis-server` binary.*apt-get install redis-server/,
    );
  });

  it('names what to install when redis-server is missing and installing is not allowed', async () => {
    await expect(locateRedisServer({ configured: undefined, path: dir, systemFolders: false, canInstall: false })).rejects.toThrow(
      /brew install redis.*REDIS_SERVER/,
    );
  });

  it('says when REDIS_SERVER points at nothing', async () => {
    await expect(locateRedisServer({ configured: join(dir, 'missing') })).rejects.toThrow(/REDIS_SERVER is set to ".*missing", which is not an executable file/);
  });
});
