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

/** Installs the `redis-server` package with apt-get and stops the service the package starts. */
async function aptInstall(): Promise<void> {
  await run('apt-get', ['update', '-qq']);
  await run('apt-get', ['install', '-y', '-qq', 'redis-server']);
  // The package starts a system service on 6379; the tests start their own servers.
  await run('service', ['redis-server', 'stop']).catch(() => {});
}

/**
 * Runs `install` in one process only: the first to create the lock directory installs, the others
 * wait until `found()` sees the binary (or take the lock over if its owner died).
 */
async function installOnce(found: () => Promise<string | undefined>, install: () => Promise<void>, lock: string): Promise<void> {
  const until = Date.now() + INSTALL_TIMEOUT_MS;
  while (Date.now() < until) {
    try {
      await mkdir(lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''));
      if (owner > 0 && !processAlive(owner)) await rm(lock, { recursive: true, force: true });
      else if (await found()) return;
      await delay(100);
      continue;
    }
    try {
      await writeFile(join(lock, 'pid'), String(process.pid));
      if (await found()) return;
      await install();
      return;
    } finally {
      await rm(lock, { recursive: true, force: true });
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
  /** Whether installing is allowed. @default root on Linux with apt-get */
  canInstall?: boolean;
  /** How to install. @default `apt-get install redis-server` */
  install?: () => Promise<void>;
  /** The lock directory that lets one process install. @default in the OS temp dir */
  lock?: string;
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
    await installOnce(search, options.install ?? aptInstall, options.lock ?? LOCK);
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
