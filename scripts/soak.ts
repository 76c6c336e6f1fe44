/**
 * `npm run soak`: bounded loopback load through two BFF replicas built on switchyard (createFanout
 * + httpWorker + dedup on one shared redisStore) over real fake-instance HTTP servers on 127.0.0.1
 * that inject seeded faults (slow, hang, 500, 503 + Retry-After, connection reset, malformed body,
 * 403, 404), for several principals, with Redis restarted half-way through.
 *
 * Prints throughput, outcome counts by category, dedup counts, heap and RSS (after forced GC) at
 * start and end, and exits non-zero on: heap growth (median heap after GC in the last quarter vs
 * the first quarter, generous bound), an outcome category the faults cannot explain, an unhandled
 * rejection, an answer that belongs to another principal, the shared cache not being used again
 * after Redis came back, or anything left running.
 *
 * Options: `--seconds N` (or SOAK_SECONDS; default 120), `--seed N` (or SOAK_SEED; default 1).
 * Run with `node --expose-gc --import tsx scripts/soak.ts` (what `npm run soak` does).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import {
  createFanout,
  isSwitchyardError,
  httpStatusOf,
  partialWithWarnings,
  staticRouter,
  type Instance,
} from '../src/index.js';
import { httpWorker } from '../src/http/index.js';
import { redisStore, type RedisStore } from '../src/stores/redis/index.js';
import { seededRandom } from '../src/testing/index.js';
import { startRedisServer } from '../test/helpers/redisProcess.js';

// ---------------------------------------------------------------------------------------------
// Settings

function option(name: string, env: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const raw = at >= 0 ? process.argv[at + 1] : process.env[env];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`soak: --${name} (or ${env}) must be a positive integer, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

const SECONDS = option('seconds', 'SOAK_SECONDS', 120);
const SEED = option('seed', 'SOAK_SEED', 1);
const INSTANCES = 4;
const PRINCIPALS = ['alice', 'bob', 'carol', 'dave', 'erin'];
const QUERIES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
const CONCURRENCY = 16;
/** Upper bound on requests, whatever the machine's speed. */
const MAX_REQUESTS = SECONDS * 4_000;
/** The process ends itself this long after the load stops, whatever hangs. */
const WATCHDOG_MS = SECONDS * 1_000 + 60_000;
/** Heap after GC in the last quarter may exceed the first quarter's by this factor plus slack. */
const HEAP_GROWTH_FACTOR = 1.5;
const HEAP_GROWTH_SLACK = 24 * 2 ** 20;
const MiB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('soak: run node with --expose-gc (npm run soak does)');
  process.exit(2);
}

const watchdog = setTimeout(() => {
  console.error(`soak: still running ${WATCHDOG_MS / 1000} s after start; something hangs`);
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

// ---------------------------------------------------------------------------------------------
// Fake instances: real HTTP servers with seeded faults; each answers with the principal it saw.

type Fault = 'ok' | 'slow' | 'hang' | '500' | '503' | 'reset' | 'malformed' | '403' | '404';
const FAULTS: [Fault, number][] = [
  ['slow', 0.05],
  ['hang', 0.02],
  ['500', 0.04],
  ['503', 0.03],
  ['reset', 0.03],
  ['malformed', 0.03],
  ['403', 0.02],
  ['404', 0.02],
];

function pickFault(random: () => number): Fault {
  let roll = random();
  for (const [fault, p] of FAULTS) {
    if (roll < p) return fault;
    roll -= p;
  }
  return 'ok';
}

interface FakeInstance {
  instance: Instance;
  server: Server;
  faults: Record<Fault, number>;
}

async function startInstance(id: string, seed: number): Promise<FakeInstance> {
  const random = seededRandom(seed);
  const faults = { ok: 0, slow: 0, hang: 0, '500': 0, '503': 0, reset: 0, malformed: 0, '403': 0, '404': 0 };
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const principal = req.headers['x-principal'];
    const q = url.searchParams.get('q') ?? '';
    const fault = pickFault(random);
    faults[fault]++;
    const answer = () =>
      JSON.stringify({ instance: id, principal, q, items: [`${id}:${String(principal)}:${q}`] });
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    switch (fault) {
      case 'ok':
        return send(200, answer());
      case 'slow': {
        // Some finish inside the attempt timeout, some do not (the hedge or retry covers them).
        const timer = setTimeout(() => {
          timers.delete(timer);
          send(200, answer());
        }, 50 + Math.floor(random() * 350));
        timers.add(timer);
        res.once('close', () => {
          clearTimeout(timer);
          timers.delete(timer);
        });
        return;
      }
      case 'hang':
        return; // never answers; the BFF's attempt timeout aborts and the socket closes
      case '500':
        return send(500, '{"error":"internal"}');
      case '503':
        return send(503, '{"error":"busy"}', { 'retry-after': '1' });
      case 'reset':
        req.socket.destroy();
        return;
      case 'malformed':
        return send(200, '{"instance":"' + id + '","items":[');
      case '403':
        return send(403, '{"error":"forbidden"}');
      case '404':
        return send(404, '{"error":"not found"}');
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  server.once('close', () => timers.forEach(clearTimeout));
  return { instance: { id, url: `http://127.0.0.1:${port}` }, server, faults };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// The BFF: two replicas, each an HTTP server with its own fanout and its own client of the
// shared Redis. Every answer is checked against the caller before it is counted.

interface Ctx {
  user: string;
}
interface Data {
  q: string;
}
const Answer = z.object({ instance: z.string(), principal: z.string(), q: z.string(), items: z.array(z.string()) });

/** Categories of a whole call the faults above can produce; anything else fails the soak. */
const EXPECTED_CALLS = new Set(['complete', 'partial', 'empty', 'ALL_FAILED', 'DEADLINE_EXCEEDED']);
/** Categories of one instance's warning the faults above can produce. */
const EXPECTED_WARNINGS = new Set(['timeout', 'failed', 'circuit-open', 'deadline', 'cancelled']);

interface Counters {
  dedup: Record<'hit' | 'miss' | 'join' | 'storeError' | 'bypass' | 'notCached', number>;
}

async function startReplica(name: string, redisUrl: string, instances: Instance[], counters: Counters, crossed: string[]) {
  const store: RedisStore = redisStore({ url: redisUrl, on: { connectionError: () => {} } });
  await store.ready({ signal: AbortSignal.timeout(10_000) });
  const count = (key: keyof Counters['dedup']) => () => void counters.dedup[key]++;
  const fanout = createFanout<Data, Ctx>({
    router: staticRouter(instances),
    principal: (ctx) => ctx.user,
    timeoutMs: 250,
    deadlineMs: 1_500,
    retry: { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 200 },
    hedge: { delayMs: 120 },
    dedup: {
      store,
      ttlMs: 1_000,
      on: {
        hit: count('hit'),
        miss: count('miss'),
        join: count('join'),
        storeError: count('storeError'),
        bypass: count('bypass'),
        notCached: count('notCached'),
      },
    },
  });
  const search = fanout.operation({
    name: 'search',
    worker: httpWorker<z.infer<typeof Answer>, Data, Ctx>({
      path: (call) => `/search?q=${encodeURIComponent(call.data.q)}`,
      headers: (_instance, call) => ({ 'x-principal': call.context.user }),
      schema: Answer,
    }),
    strategy: partialWithWarnings(),
  });

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const user = String(req.headers['x-user'] ?? '');
    const q = url.searchParams.get('q') ?? '';
    const reply = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    search({ q }, { user }).then(
      (result) => {
        for (const answer of result.data) {
          if (answer.principal !== user || answer.q !== q) {
            crossed.push(`${name}: ${user} asked for q=${q} and got ${answer.instance}'s answer for ${answer.principal} q=${answer.q}`);
            return reply(500, { category: 'CROSSED' });
          }
        }
        const category = result.warnings.length > 0 ? 'partial' : result.data.length > 0 ? 'complete' : 'empty';
        reply(200, { category, warnings: result.warnings.map((w) => w.category) });
      },
      (error: unknown) => {
        if (isSwitchyardError(error)) reply(httpStatusOf(error), { category: error.code });
        else reply(500, { category: `thrown:${(error as Error)?.name ?? typeof error}` });
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await store.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Load, sampling and the verdict

interface Sample {
  t: number;
  heapUsed: number;
  rss: number;
}

function sample(startedAt: number): Sample {
  gc!();
  const { heapUsed, rss } = process.memoryUsage();
  return { t: performance.now() - startedAt, heapUsed, rss };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

async function main(): Promise<number> {
  const handlesBefore = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout').length;
  const random = seededRandom(SEED);
  const redis = await startRedisServer();
  const fakes = await Promise.all(Array.from({ length: INSTANCES }, (_, i) => startInstance(`instance-${i + 1}`, SEED * 1_000 + i)));
  const instances = fakes.map((f) => f.instance);
  const counters: Counters = { dedup: { hit: 0, miss: 0, join: 0, storeError: 0, bypass: 0, notCached: 0 } };
  const crossed: string[] = [];
  const replicas = [
    await startReplica('replica-a', redis.url, instances, counters, crossed),
    await startReplica('replica-b', redis.url, instances, counters, crossed),
  ];

  const calls = new Map<string, number>();
  const warnings = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  let sent = 0;
  let hitsAfterRestart = 0;
  let restarted = false;

  console.log(
    `soak: ${SECONDS} s, seed ${SEED}, ${INSTANCES} instances, 2 replicas, ${PRINCIPALS.length} principals, ${CONCURRENCY} concurrent clients, Redis at ${redis.url}`,
  );
  const startedAt = performance.now();
  const start = sample(startedAt);
  const samples: Sample[] = [start];
  const endAt = startedAt + SECONDS * 1_000;
  const sampler = setInterval(() => samples.push(sample(startedAt)), Math.max(500, Math.min(2_000, (SECONDS * 1_000) / 40)));

  // Redis stops at 40% of the run and comes back at 50%.
  const restart = (async () => {
    await delay(SECONDS * 400);
    console.log(`soak: stopping Redis at ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
    await redis.stop();
    await delay(SECONDS * 100);
    await redis.restart();
    const hitsThen = counters.dedup.hit;
    restarted = true;
    console.log(`soak: Redis back at ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
    return hitsThen;
  })();

  async function client(): Promise<void> {
    while (performance.now() < endAt && sent < MAX_REQUESTS) {
      sent++;
      const user = PRINCIPALS[Math.floor(random() * PRINCIPALS.length)]!;
      const q = QUERIES[Math.floor(random() * QUERIES.length)]!;
      const replica = replicas[Math.floor(random() * replicas.length)]!;
      try {
        const response = await fetch(`${replica.url}/search?q=${q}`, { headers: { 'x-user': user }, signal: AbortSignal.timeout(10_000) });
        const body = (await response.json()) as { category: string; warnings?: string[] };
        bump(calls, body.category);
        for (const w of body.warnings ?? []) bump(warnings, w);
      } catch (error) {
        bump(calls, `client:${(error as Error)?.name ?? 'error'}`);
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  const elapsed = (performance.now() - startedAt) / 1000;
  const hitsAtRestart = await restart;
  hitsAfterRestart = counters.dedup.hit - hitsAtRestart;
  clearInterval(sampler);
  samples.push(sample(startedAt));

  await Promise.all(replicas.map((r) => r.close()));
  await Promise.all(
    fakes.map(
      (f) =>
        new Promise<void>((resolve) => {
          f.server.close(() => resolve());
          f.server.closeAllConnections();
        }),
    ),
  );
  await redis.dispose();
  await delay(100);
  const end = sample(startedAt);

  // Report
  const total = [...calls.values()].reduce((a, b) => a + b, 0);
  const table = (map: Map<string, number>) =>
    [...map.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${k.padEnd(20)} ${String(v).padStart(8)}`);
  const faults = fakes.reduce(
    (acc, f) => {
      for (const [k, v] of Object.entries(f.faults)) acc[k] = (acc[k] ?? 0) + v;
      return acc;
    },
    {} as Record<string, number>,
  );
  const served = Object.values(faults).reduce((a, b) => a + b, 0);
  const quarter = elapsed * 250;
  const first = samples.filter((s) => s.t <= quarter).map((s) => s.heapUsed);
  const last = samples.filter((s) => s.t >= elapsed * 1_000 - quarter).map((s) => s.heapUsed);
  const firstHeap = median(first);
  const lastHeap = median(last);
  const heapBound = firstHeap * HEAP_GROWTH_FACTOR + HEAP_GROWTH_SLACK;

  console.log(
    [
      '',
      `requests: ${total} in ${elapsed.toFixed(1)} s = ${(total / elapsed).toFixed(0)} req/s through the BFF; the instances served ${served} (${(served / elapsed).toFixed(0)}/s, retries and hedges included, cache hits excluded)`,
      'calls by category:',
      ...table(calls),
      'instance warnings by category:',
      ...table(warnings),
      'faults injected by the instances:',
      ...Object.entries(faults).map(([k, v]) => `  ${k.padEnd(20)} ${String(v).padStart(8)}`),
      `dedup: ${Object.entries(counters.dedup).map(([k, v]) => `${k} ${v}`).join(', ')}; cache hits after Redis came back: ${hitsAfterRestart}`,
      `heap after GC: start ${MiB(start.heapUsed)}, end ${MiB(end.heapUsed)}; median first quarter ${MiB(firstHeap)} (${first.length} samples), last quarter ${MiB(lastHeap)} (${last.length} samples), bound ${MiB(heapBound)}`,
      `rss: start ${MiB(start.rss)}, end ${MiB(end.rss)}`,
    ].join('\n'),
  );

  // Verdict
  const problems: string[] = [];
  if (total === 0) problems.push('no request completed');
  if (!restarted) problems.push('Redis was not restarted');
  for (const category of calls.keys()) if (!EXPECTED_CALLS.has(category)) problems.push(`unexpected call category "${category}" (${calls.get(category)})`);
  for (const category of warnings.keys()) if (!EXPECTED_WARNINGS.has(category)) problems.push(`unexpected warning category "${category}" (${warnings.get(category)})`);
  if (!calls.has('complete')) problems.push('no call completed without warnings');
  for (const line of crossed.slice(0, 5)) problems.push(`crossed principals: ${line}`);
  if (crossed.length > 5) problems.push(`…and ${crossed.length - 5} more crossed answers`);
  for (const reason of unhandled.slice(0, 5)) problems.push(`unhandled rejection: ${String((reason as Error)?.stack ?? reason)}`);
  if (counters.dedup.hit === 0) problems.push('the shared cache never served a hit');
  if (hitsAfterRestart === 0) problems.push('the shared cache served no hit after Redis came back');
  if (lastHeap > heapBound) problems.push(`heap grew: last quarter ${MiB(lastHeap)} > bound ${MiB(heapBound)}`);
  const handlesAfter = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout');
  if (handlesAfter.length > handlesBefore) problems.push(`left running: ${handlesAfter.join(', ')}`);

  if (problems.length > 0) {
    console.error(`\nsoak FAILED:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    return 1;
  }
  console.log('\nsoak passed');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    clearTimeout(watchdog);
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
    clearTimeout(watchdog);
  },
);
