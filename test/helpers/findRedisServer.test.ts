import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
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

describe('installing redis-server when it is missing', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-install-redis-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** An installer that puts an executable `redis-server` into `dir` after a while, and counts its runs. */
  function installer(ms = 200) {
    let runs = 0;
    return {
      runs: () => runs,
      install: async () => {
        runs += 1;
        await new Promise((resolve) => setTimeout(resolve, ms));
        await writeFile(join(dir, 'redis-server'), '#!/bin/sh\n');
        await chmod(join(dir, 'redis-server'), 0o755);
      },
    };
  }

  it('installs once when several callers find it missing at the same time', async () => {
    const { runs, install } = installer();
    const options = { configured: undefined, path: dir, systemFolders: false, canInstall: true, install, lock: join(dir, 'lock') };
    const found = await Promise.all([1, 2, 3].map(() => locateRedisServer(options)));
    expect(found).toEqual([1, 2, 3].map(() => join(dir, 'redis-server')));
    expect(runs()).toBe(1);
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });

  it('takes the lock over when the process holding it has died', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
    await mkdir(join(dir, 'lock'));
    await writeFile(join(dir, 'lock', 'pid'), String(dead));
    const { runs, install } = installer(10);
    await expect(
      locateRedisServer({ configured: undefined, path: dir, systemFolders: false, canInstall: true, install, lock: join(dir, 'lock') }),
    ).resolves.toBe(join(dir, 'redis-server'));
    expect(runs()).toBe(1);
  });

  it('names what to install when the install fails', async () => {
    const install = () => Promise.reject(new Error('E: Unable to locate package redis-server'));
    await expect(
      locateRedisServer({ configured: undefined, path: dir, systemFolders: false, canInstall: true, install, lock: join(dir, 'lock') }),
    ).rejects.toThrow(/Installing redis-server with apt-get failed \(E: Unable to locate package redis-server\).*brew install redis/);
  });
});
