/**
 * Starts a real 3-master Redis Cluster for a test: three `redis-server --cluster-enabled yes` on
 * 127.0.0.1 (each with its own temp dir, no persistence) joined by `redis-cli --cluster create`.
 * A master can be killed and brought back on its port with its node id, so the cluster heals.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
const CLI = process.env.REDIS_CLI ?? '/usr/bin/redis-cli';

export interface RedisCluster {
  /** The masters' ports, in the order they were started. */
  readonly ports: readonly number[];
  /** `redis://127.0.0.1:<port>` of every master. */
  readonly urls: readonly string[];
  /** Kills master `index` (SIGKILL: no goodbye to the cluster) and waits for it to exit. */
  kill(index: number): Promise<void>;
  /** Starts master `index` again, on its port, with its node id; resolves when the cluster is ok. */
  revive(index: number): Promise<void>;
  /** Resolves when every running master reports `cluster_state:ok` (within 30 s). */
  waitUntilOk(): Promise<void>;
  /** Stops every master and removes the temp dirs. */
  dispose(): Promise<void>;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port whose cluster bus port (port + 10000) is free too. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i += 1) {
    const port = 20_000 + Math.floor(Math.random() * 25_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await isFree(port)) && (await isFree(port + 10_000))) {
      taken.add(port);
      taken.add(port + 10_000);
      return port;
    }
  }
  throw new Error('No free port pair for a Redis Cluster node');
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run(CLI, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
  return stdout;
}

export async function startRedisCluster(): Promise<RedisCluster> {
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < 3; i += 1) ports.push(await clusterPort(taken));
  const dirs = await Promise.all(ports.map(() => mkdtemp(join(tmpdir(), 'switchyard-cluster-'))));
  const children: (ChildProcess | undefined)[] = [undefined, undefined, undefined];

  async function start(index: number): Promise<void> {
    const port = ports[index]!;
    const child = spawn(
      SERVER,
      [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', dirs[index]!,
        '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000',
        '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children[index] = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    for (let i = 0; i < 500; i += 1) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr}`);
      if (await cli(port, 'PING').then((out) => out.trim() === 'PONG', () => false)) return;
      await delay(20);
    }
    throw new Error(`redis-server did not answer PING on port ${port}`);
  }

  async function stop(index: number, signal: NodeJS.Signals): Promise<void> {
    const child = children[index];
    children[index] = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  async function waitUntilOk(): Promise<void> {
    for (let i = 0; i < 300; i += 1) {
      const states = await Promise.all(
        ports.map((port, index) => (children[index] ? cli(port, 'CLUSTER', 'INFO').catch(() => '') : Promise.resolve('cluster_state:ok'))),
      );
      if (states.every((info) => info.includes('cluster_state:ok'))) return;
      await delay(100);
    }
    throw new Error('The Redis Cluster did not reach cluster_state:ok within 30 s');
  }

  try {
    await Promise.all(ports.map((_, index) => start(index)));
    await run(CLI, ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    await waitUntilOk();
  } catch (error) {
    await Promise.all(ports.map((_, index) => stop(index, 'SIGKILL')));
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    throw error;
  }

  return {
    ports,
    urls: ports.map((port) => `redis://127.0.0.1:${port}`),
    kill: (index) => stop(index, 'SIGKILL'),
    async revive(index) {
      await start(index);
      await waitUntilOk();
    },
    waitUntilOk,
    async dispose() {
      await Promise.all(ports.map((_, index) => stop(index, 'SIGTERM')));
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}
