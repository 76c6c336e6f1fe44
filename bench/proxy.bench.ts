import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import replyFrom from '@fastify/reply-from';
import Fastify from 'fastify';
import { createProxyServer } from 'http-proxy-3';
import { fromDist } from './_support/dist.js';
import { close, listen } from './_support/servers.js';

const { createProxy } = await fromDist<typeof import('switchyard/http')>('./http');
const { toNodeHandler } = await fromDist<typeof import('switchyard/node')>('./node');

const MIB = Buffer.alloc(1024 * 1024, 'x');

interface Scenario {
  name: string;
  method: 'GET' | 'POST';
  /** Requests per contender per round. */
  requests: number;
  concurrency: number;
  /** Many short rounds: each compares contenders run a fraction of a second apart. */
  rounds: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'small GET', method: 'GET', requests: 3_000, concurrency: 20, rounds: 31 },
  { name: '1 MiB POST', method: 'POST', requests: 100, concurrency: 10, rounds: 61 },
];


/** A round that takes longer than this means a contender hangs: the bench stops instead of waiting forever. */
const ROUND_TIMEOUT_MS = 120_000;

/** The child process that holds the upstream and the load generator; see _support/loadHarness.ts. */
async function startHarness(): Promise<{
  upstreamPort: number;
  load(port: number, scenario: Scenario, total?: number): Promise<{ rps: number; latencies: number[] }>;
  stop(): Promise<void>;
}> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./_support/loadHarness.ts', import.meta.url))], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let failure: Error | undefined;
  child.once('error', (error) => (failure = error));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the load harness did not answer within ${ROUND_TIMEOUT_MS} ms`)), ROUND_TIMEOUT_MS);
    });
    try {
      const line = await Promise.race([lines.next(), timeout]);
      if (line.done) throw failure ?? new Error('the load harness exited');
      return line.value;
    } finally {
      clearTimeout(timer);
    }
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin.end();
    // It exits once its current round is over; a hung one is killed.
    const grace = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(grace);
  };
  try {
    const upstreamPort = Number(await nextLine());
    return {
      upstreamPort,
      async load(port, scenario, total = scenario.requests) {
        child.stdin.write(`${port} ${scenario.method} ${total} ${scenario.concurrency}\n`);
        return JSON.parse(await nextLine()) as { rps: number; latencies: number[] };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The latency at quantile `q` of all samples. */
function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The shortest correct node:http reverse proxy: a keep-alive Agent and two pipes, no checks at all. */
function barePipe(upstreamPort: number): http.Server {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      { host: '127.0.0.1', port: upstreamPort, path: req.url, method: req.method, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('close', () => agent.destroy());
  return server;
}

/**
 * http-proxy-3 (the maintained rewrite of http-proxy) on node:http, with a keep-alive Agent like
 * the bare pipe's; its errors become a 502 or a destroyed response, as an application would do.
 */
function httpProxy3(target: string): http.Server {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const proxy = createProxyServer({ target, agent });
  proxy.on('error', (_error, _req, res) => {
    if (!(res instanceof http.ServerResponse)) return void res.destroy();
    if (res.headersSent) return void res.destroy();
    res.writeHead(502).end();
  });
  const server = http.createServer((req, res) => void proxy.web(req, res));
  server.on('close', () => agent.destroy());
  return server;
}

/**
 * Proxy throughput on loopback: switchyard's `createProxy` behind node:http (`switchyard/http` as
 * Node resolves it: the undici transport, loaded from dist/) against fastify with
 * @fastify/reply-from, http-proxy-3 and a bare node:http pipe, all forwarding to the same upstream, in one
 * run with the contenders alternated.
 * The upstream and the load generator run in a child process (_support/loadHarness.ts).
 */
export default async function (): Promise<string> {
  const harness = await startHarness();
  const servers: http.Server[] = [];
  let fastify: { close(): PromiseLike<unknown> } | undefined;
  const sections: string[] = [];
  try {
    const upstreamPort = harness.upstreamPort;
    const target = `http://127.0.0.1:${upstreamPort}`;

    const ours = http.createServer(toNodeHandler(createProxy({ target })));
    servers.push(ours);
    const oursPort = await listen(ours);

    const app = Fastify({ logger: false, bodyLimit: 2 * MIB.byteLength });
    fastify = app;
    await app.register(replyFrom, { base: target });
    // Stream request bodies through instead of parsing them, as a proxy should.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    app.all('/*', (request, reply) => reply.from(request.url));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const fastifyPort = (app.server.address() as AddressInfo).port;

    const hp3 = httpProxy3(target);
    servers.push(hp3);
    const hp3Port = await listen(hp3);

    const pipe = barePipe(upstreamPort);
    servers.push(pipe);
    const pipePort = await listen(pipe);

    const contenders = [
      ['switchyard', oursPort],
      ['reply-from', fastifyPort],
      ['http-proxy-3', hp3Port],
      ['node:http pipe', pipePort],
    ] as const;
    type Stats = { rps: number[]; latencies: number[]; cpu: number[] };
    for (const scenario of SCENARIOS) {
      for (const [, port] of contenders) await harness.load(port, scenario, Math.ceil(scenario.requests / 2));
      const stats = new Map<string, Stats>(contenders.map(([name]) => [name, { rps: [], latencies: [], cpu: [] }]));
      for (let round = 0; round < scenario.rounds; round++) {
        // Rotate the order so that no contender always runs on a warmer or cooler machine.
        for (let i = 0; i < contenders.length; i++) {
          const [name, port] = contenders[(i + round) % contenders.length]!;
          const cpuBefore = process.cpuUsage();
          const r = await harness.load(port, scenario);
          const cpu = process.cpuUsage(cpuBefore);
          const stat = stats.get(name)!;
          stat.rps.push(r.rps);
          stat.latencies.push(...r.latencies);
          // Only this contender is busy during its round: the process's CPU time is its cost.
          stat.cpu.push((cpu.user + cpu.system) / scenario.requests);
        }
      }
      const ours = stats.get('switchyard')!;
      // Each round's ratio compares runs a fraction of a second apart, so a machine that drifts (CPU frequency, a
      // neighbour's load) over the run moves both sides of it alike; the median of those is reported.
      const ratio = (name: string) => median(ours.rps.map((rps, round) => rps / stats.get(name)!.rps[round]!));
      const oursP99 = quantile(ours.latencies, 0.99);
      sections.push(
        `### ${scenario.name} (${scenario.rounds} rounds of ${scenario.requests} requests, concurrency ${scenario.concurrency})`,
        '',
        '| proxy | requests/s | p50 ms | p99 ms | CPU µs / request | switchyard requests/s ÷ this | switchyard p99 ÷ this |',
        '|---|---:|---:|---:|---:|---:|---:|',
        ...contenders.map(([name]) => {
          const s = stats.get(name)!;
          const p99 = quantile(s.latencies, 0.99);
          return `| ${name} | ${median(s.rps).toFixed(0)} | ${quantile(s.latencies, 0.5).toFixed(2)} | ${p99.toFixed(2)} | ${median(s.cpu).toFixed(0)} | ${ratio(name).toFixed(2)}× | ${(oursP99 / p99).toFixed(2)}× |`;
        }),
        '',
      );
    }
  } finally {
    await harness.stop();
    await fastify?.close();
    for (const server of servers) await close(server);
  }

  return [
    '## Proxy throughput (loopback)',
    '',
    `Many short rounds, each running every contender once in a rotating order; requests/s is the median round, its ratio the median of the rounds' ratios (each compares runs a fraction of a second apart), p50 and p99 are over every request of every round; keep-alive clients. The proxies run in this process; the upstream they all forward to (it reads the body and answers 11 bytes of JSON) and the load generator run in a child process and speak just enough HTTP/1.1 over raw sockets to cost far less than any proxy, so the proxy under test is what limits the throughput and CPU µs / request is its own cost (the process's CPU time over its round, per request). On the 1 MiB POST every proxy moves the same bytes through the same kinds of socket writes: there the loopback copies set the pace and the contenders land close together. switchyard is \`toNodeHandler(createProxy())\` on node:http, loaded from dist/ as Node resolves it (the undici transport), with every check of [createProxy](./proxy.md) on: path refusal, header validation, hop-by-hop stripping, \`X-Forwarded-*\`, the 504 timer. reply-from is fastify 5 + @fastify/reply-from (undici pool) with bodies streamed, not parsed; http-proxy-3 is its \`web()\` on node:http with a keep-alive Agent; the bare pipe is node:http \`request\` + \`pipe\` with no checks at all. Ratios above 1× in the requests/s column (below 1× for p99) mean switchyard is faster.`,
    '',
    ...sections,
  ].join('\n');
}
