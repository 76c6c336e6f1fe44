/**
 * Finds a `redis-server` binary for the tests: `$REDIS_SERVER`, else one on PATH, else (as root on
 * a Debian/Ubuntu machine) installs the `redis-server` package with apt-get once, else fails with a
 * message naming what to install. Vitest runs test files in several worker processes, so the
 * install is guarded by a lock directory that only one process can create.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const LOCK = join(tmpdir(), 'switchyard-redis-install.lock');
const INSTALL_TIMEOUT_MS = 10 * 60_000;

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first `redis-server` on PATH (or in the usual folders apt installs to). */
async function onPath(path = process.env.PATH ?? '', systemFolders = true): Promise<string | undefined> {
  const folders = [...path.split(delimiter), ...(systemFolders ? ['/usr/bin', '/usr/local/bin', '/usr/sbin'] : [])];
  for (const folder of folders) {
    if (folder === '') continue;
    const candidate = join(folder, 'redis-server');
    if (await executable(candidate)) return candidate;
  }
  return undefined;
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim()}`))));
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Installs redis-server with apt-get, or waits for the process that holds the lock to do it. */
async function installOnce(): Promise<void> {
  const until = Date.now() + INSTALL_TIMEOUT_MS;
  while (Date.now() < until) {
    try {
      await mkdir(LOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Another worker installs; take the lock over only if its owner died.
      const owner = Number(await readFile(join(LOCK, 'pid'), 'utf8').catch(() => ''));
      if (owner > 0 && !processAlive(owner)) await rm(LOCK, { recursive: true, force: true });
      else if (await onPath()) return;
      await delay(500);
      continue;
    }
    try {
      await writeFile(join(LOCK, 'pid'), String(process.pid));
      if (await onPath()) return;
      await run('apt-get', ['update', '-qq']);
      await run('apt-get', ['install', '-y', '-qq', 'redis-server']);
      // The package starts a system service on 6379; the tests start their own servers.
      await run('service', ['redis-server', 'stop']).catch(() => {});
      return;
    } finally {
      await rm(LOCK, { recursive: true, force: true });
    }
  }
  throw new Error('Timed out waiting for another test process to install redis-server');
}

const MISSING =
  'The Redis tests need a `redis-server` binary and none was found. Install Redis (Debian/Ubuntu: ' +
  '`apt-get install redis-server`, macOS: `brew install redis`), put `redis-server` on PATH, or set ' +
  'REDIS_SERVER to its path.';

export interface LocateOptions {
  /** @default process.env.REDIS_SERVER */
  configured?: string | undefined;
  /** Folders to search, like PATH. @default process.env.PATH */
  path?: string;
  /** Also look in the folders apt installs to. @default true */
  systemFolders?: boolean;
  /** Whether installing with apt-get is allowed. @default root on Linux with apt-get */
  canInstall?: boolean;
}

/** Finds (or installs) `redis-server` as `findRedisServer` does, with its inputs made explicit. */
export async function locateRedisServer(options: LocateOptions = {}): Promise<string> {
  const configured = 'configured' in options ? options.configured : process.env.REDIS_SERVER;
  if (configured !== undefined && configured !== '') {
    if (await executable(configured)) return configured;
    throw new Error(`REDIS_SERVER is set to "${configured}", which is not an executable file. ${MISSING}`);
  }
  const search = () => onPath(options.path, options.systemFolders ?? true);
  const existing = await search();
  if (existing !== undefined) return existing;
  const canInstall =
    options.canInstall ?? (process.platform === 'linux' && process.getuid?.() === 0 && (await executable('/usr/bin/apt-get')));
  if (!canInstall) throw new Error(MISSING);
  try {
    await installOnce();
  } catch (error) {
    throw new Error(`Installing redis-server with apt-get failed (${(error as Error).message}). ${MISSING}`);
  }
  const installed = await search();
  if (installed === undefined) throw new Error(`apt-get installed redis-server but no binary was found. ${MISSING}`);
  return installed;
}

let found: Promise<string> | undefined;

/** The path of a usable `redis-server`, installing it when possible; looked up once per process. */
export function findRedisServer(): Promise<string> {
  found ??= locateRedisServer();
  return found;
}
