import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFanout, firstSuccess } from '../../src/index.js';
import {
  createPolicyStore,
  shardRouter,
  type PolicyBackend,
  type PolicyStore,
} from '../../src/routing/index.js';
import { filePolicyBackend } from '../../src/node/index.js';
import { redisPolicyBackend } from '../../src/stores/redis/index.js';
import { bold, dim, table } from './render.js';
import { freePort } from '../shared/ports.js';

type Write = (line?: string) => void;

const SHARDS = ['shard-a', 'shard-b', 'shard-c'] as const;
const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

interface ShardServer {
  id: string;
  url: string;
  close(): Promise<void>;
}

/** One shard instance: answers every request with its own name. */
async function startShard(id: string): Promise<ShardServer> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ shard: id }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    id,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('data', (chunk) => finish(chunk.toString().startsWith('+PONG')));
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

/** Where the replicas share their policy: a real Redis when `redis-server` is installed, else a file. */
interface Shared {
  kind: 'redis' | 'file';
  description: string;
  backend(): PolicyBackend & { close?(): Promise<void> };
  close(): Promise<void>;
}

async function startShared(useRedis: boolean): Promise<Shared> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-demo-'));
  if (useRedis && existsSync(REDIS_SERVER)) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      REDIS_SERVER,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 250 && !(await answersPing(port)); i++) await sleep(20);
    const url = `redis://127.0.0.1:${port}`;
    return {
      kind: 'redis',
      description: `a real Redis (redis-server on ${url}): pub/sub plus a version check every second`,
      backend: () => redisPolicyBackend({ url, prefix: 'demo:' }),
      async close() {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  const path = join(dir, 'routing-policy.json');
  return {
    kind: 'file',
    description: `a policy file (${path}${useRedis ? '; redis-server is not installed' : ''}): a version check every 100 ms`,
    backend: () => filePolicyBackend({ path }),
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The first policy: two tenants pinned, `vip_` keys on shard-c, everything else hashed over a and b. */
function policyV1(shards: ShardServer[]) {
  return {
    version: 1,
    shards: Object.fromEntries(shards.map((s) => [s.id, { instances: [{ url: s.url }] }])),
    tenants: { acme: 'shard-a', globex: 'shard-b' },
    ranges: [{ prefix: 'vip_', shard: 'shard-c' }],
    hash: { algorithm: 'jump', shards: ['shard-a', 'shard-b'] },
  };
}

/** The second: shard-c joins the hash at the end, so jump moves only about a third of hashed keys, all to it. */
function policyV2(shards: ShardServer[]) {
  return { ...policyV1(shards), hash: { algorithm: 'jump', shards: ['shard-a', 'shard-b', 'shard-c'] } };
}

interface Replica {
  name: string;
  store: PolicyStore;
  backend: PolicyBackend & { close?(): Promise<void> };
  /** Sends one call through the replica's fan-out and returns the shard that answered. */
  call(input: { tenant?: string; key?: string }): Promise<string>;
}

function startReplica(name: string, shared: Shared): Replica {
  const backend = shared.backend();
  const store = createPolicyStore({ store: backend, env: {}, replica: name, syncIntervalMs: shared.kind === 'redis' ? 1_000 : 100 });
  const router = shardRouter<{ tenant?: string; key?: string }>({ policy: store, key: ({ data }) => data });
  const fanout = createFanout({ router, timeoutMs: 1_000, deadlineMs: 2_000, retry: false });
  const worker = async (instance: { url?: string }, call: { signal: AbortSignal }) => {
    const response = await fetch(instance.url!, { signal: call.signal });
    return ((await response.json()) as { shard: string }).shard;
  };
  return {
    name,
    store,
    backend,
    call: (data) => fanout.run({ operation: 'getOrder', data, context: undefined, worker, strategy: firstSuccess() }),
  };
}

const SAMPLE: { tenant?: string; key?: string }[] = [
  { tenant: 'acme' },
  { tenant: 'globex' },
  { key: 'vip_7' },
  ...Array.from({ length: 7 }, (_, i) => ({ key: `order_${1000 + i * 37}` })),
];
const label = (input: { tenant?: string; key?: string }) => (input.tenant !== undefined ? `tenant ${input.tenant}` : `key ${input.key}`);

async function waitFor(check: () => boolean, maxMs = 5_000): Promise<number> {
  const started = Date.now();
  while (!check() && Date.now() - started < maxMs) await sleep(5);
  return Date.now() - started;
}

/**
 * The shard chapter: three shard instances, tenants routed by map, prefix and hash; a new policy
 * previewed, activated on two BFF replicas, then rolled back. Resolves when everything is closed.
 */
export async function playShards(write: Write, options: { redis?: boolean } = {}): Promise<void> {
  const shards = await Promise.all(SHARDS.map(startShard));
  const shared = await startShared(options.redis !== false);
  const replicas = [startReplica('bff-1', shared), startReplica('bff-2', shared)];
  const [one, two] = replicas as [Replica, Replica];
  try {
    write();
    write(bold('== 6. Shards: routing policies on two BFF replicas '.padEnd(78, '=')));
    write();
    write(`replicas bff-1 and bff-2 share their routing policy through ${shared.description}.`);
    write();
    for (const line of table(['shard', 'url'], shards.map((s) => [s.id, s.url]))) write(line);
    write();

    const v1 = await one.store.propose(policyV1(shards), { message: 'tenants by map, vip_ by prefix, the rest hashed over a and b' });
    await one.store.activate(v1.version, { message: 'first policy' });
    await waitFor(() => two.store.active()?.version === v1.version);
    const before = await Promise.all(SAMPLE.map((input) => one.call(input)));
    write(bold(`version ${v1.version} (${v1.checksum.slice(0, 12)}…): ${v1.message}`));
    const viaOf = (input: { tenant?: string; key?: string }) =>
      input.tenant !== undefined ? 'tenant map' : input.key!.startsWith('vip_') ? 'prefix vip_' : 'hash (jump)';
    for (const line of table(
      ['call', 'routed by', 'answered by (bff-1)', 'answered by (bff-2)'],
      await Promise.all(SAMPLE.map(async (input, i) => [label(input), viaOf(input), before[i]!, await two.call(input)])),
    )) write(line);
    write();

    const v2 = await one.store.propose(policyV2(shards), { message: 'shard-c joins the hash' });
    const keys = Array.from({ length: 10_000 }, (_, i) => `order_${i}`);
    const preview = await one.store.preview(v2.version, keys);
    const check = await one.store.check(v2.version);
    write(bold(`preview of version ${v2.version}: ${v2.message}`));
    write(`${preview.moved} of ${preview.total} sampled keys would move (${(preview.share * 100).toFixed(1)}%); check: ${check.ok ? 'no tenant or prefix stranded' : check.problems.length + ' problems'}`);
    for (const line of table(['from', 'to', 'keys'], preview.flows.map((f) => [f.from, f.to, String(f.keys)]))) write(line);
    write();

    const activatedAt = Date.now();
    await one.store.activate(v2.version, { message: 'add shard-c to hashing' });
    await waitFor(() => two.store.active()?.version === v2.version);
    const lag = (two.store.active()?.appliedAt ?? Date.now()) - activatedAt;
    write(bold(`activated version ${v2.version} through bff-1; bff-2 applied it ${lag} ms after the activation started`));
    // Each replica reports after it applies; wait until both reports have landed.
    let fleet = await one.store.replicas();
    for (let i = 0; i < 200 && fleet.filter((r) => r.applied?.version === v2.version).length < replicas.length; i++) {
      await sleep(10);
      fleet = await one.store.replicas();
    }
    for (const line of table(
      ['replica', 'applied version', 'applied at (ms after activation)'],
      fleet.map((r) => [r.replica, String(r.applied?.version ?? '-'), r.applied ? String(Math.max(0, r.applied.at - activatedAt)) : '-']),
    )) write(line);
    write();
    const after = await Promise.all(SAMPLE.map((input) => two.call(input)));
    for (const line of table(
      ['call', `version ${v1.version}`, `version ${v2.version}`, 'moved'],
      SAMPLE.map((input, i) => [label(input), before[i]!, after[i]!, before[i] === after[i] ? '' : 'moved']),
    )) write(line);
    write();

    const rolled = await one.store.rollback(undefined, { message: 'roll back: shard-c is not warmed up' });
    await waitFor(() => two.store.active()?.version === v1.version);
    const back = await Promise.all(SAMPLE.map((input) => two.call(input)));
    const identical = back.every((shard, i) => shard === before[i]);
    write(bold(`rolled back to version ${rolled.version}: every sampled call routes as before: ${identical ? 'yes' : 'NO'}`));
    for (const line of table(
      ['#', 'version', 'kind', 'message'],
      (await one.store.history()).map((h, i) => [String(i + 1), String(h.version), h.kind, h.message]),
    )) write(line);
    write();
    write(dim('the store keeps every version with its checksum; restarts keep the numbering.'));
  } finally {
    await Promise.all(replicas.map((r) => r.store.close()));
    await Promise.all(replicas.map((r) => r.backend.close?.()));
    await shared.close();
    await Promise.all(shards.map((s) => s.close()));
  }
}
