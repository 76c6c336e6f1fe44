import http from 'node:http';
import type { AddressInfo } from 'node:net';
import replyFrom from '@fastify/reply-from';
import Fastify from 'fastify';
import { createProxyServer } from 'http-proxy-3';
import { fromDist } from './_support/dist.js';
import { close, listen } from './_support/servers.js';

const { createProxy } = await fromDist<typeof import('switchyard/http')>('./http');
const { toNodeHandler } = await fromDist<typeof import('switchyard/node')>('./node');

const ROUNDS = 5;
const MIB = Buffer.alloc(1024 * 1024, 'x');

interface Scenario {
  name: string;
  method: 'GET' | 'POST';
  requests: number;
  concurrency: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'small GET', method: 'GET', requests: 2_000, concurrency: 20 },
  { name: '1 MiB POST', method: 'POST', requests: 200, concurrency: 10 },
];


/** Sends `scenario.requests` requests, `concurrency` at a time over keep-alive sockets; returns requests/s and latencies. */
async function load(port: number, scenario: Scenario, total = scenario.requests): Promise<{ rps: number; p50: number; p99: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: scenario.concurrency });
  const latencies: number[] = [];
  let next = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      const request = http.request(
        { host: '127.0.0.1', port, path: `/items/${next}?q=1`, method: scenario.method, agent },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
            latencies.push(performance.now() - started);
            resolve();
          });
        },
      );
      request.on('error', reject);
      request.end(scenario.method === 'POST' ? MIB : undefined);
    });
  const worker = async () => {
    while (next < total) {
      next++;
      await one();
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: scenario.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { rps: total / seconds, p50: at(0.5), p99: at(0.99) };
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
 * @fastify/reply-from, http-proxy-3 and a bare node:http pipe, all forwarding to the same upstream, in one run with the contenders alternated.
 */
export default async function (): Promise<string> {
  const upstream = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
  });
  const upstreamPort = await listen(upstream);
  const target = `http://127.0.0.1:${upstreamPort}`;

  const ours = http.createServer(toNodeHandler(createProxy({ target })));
  const oursPort = await listen(ours);

  const fastify = Fastify({ logger: false, bodyLimit: 2 * MIB.byteLength });
  await fastify.register(replyFrom, { base: target });
  // Stream request bodies through instead of parsing them, as a proxy should.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  fastify.all('/*', (request, reply) => reply.from(request.url));
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  const fastifyPort = (fastify.server.address() as AddressInfo).port;

  const hp3 = httpProxy3(target);
  const hp3Port = await listen(hp3);

  const pipe = barePipe(upstreamPort);
  const pipePort = await listen(pipe);

  const contenders = [
    ['switchyard', oursPort],
    ['reply-from', fastifyPort],
    ['http-proxy-3', hp3Port],
    ['node:http pipe', pipePort],
  ] as const;
  type Stats = { rps: number[]; p50: number[]; p99: number[] };
  const results = new Map<string, Stats>();
  const sections: string[] = [];
  try {
    for (const scenario of SCENARIOS) {
      for (const [, port] of contenders) await load(port, scenario, Math.ceil(scenario.requests / 2));
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate the order so that no contender always runs on a warmer or cooler machine.
        const order = round % 2 === 0 ? contenders : [...contenders].reverse();
        for (const [name, port] of order) {
          const r = await load(port, scenario);
          const key = `${scenario.name}/${name}`;
          const stats = results.get(key) ?? { rps: [], p50: [], p99: [] };
          stats.rps.push(r.rps);
          stats.p50.push(r.p50);
          stats.p99.push(r.p99);
          results.set(key, stats);
        }
      }
      const stat = (name: string) => results.get(`${scenario.name}/${name}`)!;
      const oursRps = median(stat('switchyard').rps);
      const oursP99 = median(stat('switchyard').p99);
      sections.push(
        `### ${scenario.name} (${scenario.requests} requests per round, concurrency ${scenario.concurrency})`,
        '',
        '| proxy | requests/s | p50 ms | p99 ms | switchyard requests/s ÷ this | switchyard p99 ÷ this |',
        '|---|---:|---:|---:|---:|---:|',
        ...contenders.map(([name]) => {
          const s = stat(name);
          return `| ${name} | ${median(s.rps).toFixed(0)} | ${median(s.p50).toFixed(2)} | ${median(s.p99).toFixed(2)} | ${(oursRps / median(s.rps)).toFixed(2)}× | ${(oursP99 / median(s.p99)).toFixed(2)}× |`;
        }),
        '',
      );
    }
  } finally {
    await fastify.close();
    await close(ours);
    await close(hp3);
    await close(pipe);
    await close(upstream);
  }

  return [
    '## Proxy throughput (loopback)',
    '',
    `Median of ${ROUNDS} rounds with the contenders alternated; keep-alive clients; every proxy forwards to the same node:http upstream, which reads the body and answers 11 bytes of JSON, in one process. switchyard is \`toNodeHandler(createProxy())\` on node:http, loaded from dist/ as Node resolves it (the undici transport), with every check of [createProxy](./proxy.md) on: path refusal, header validation, hop-by-hop stripping, \`X-Forwarded-*\`, the 504 timer. reply-from is fastify 5 + @fastify/reply-from (undici pool) with bodies streamed, not parsed; http-proxy-3 is its \`web()\` on node:http with a keep-alive Agent; the bare pipe is node:http \`request\` + \`pipe\` with no checks at all. Ratios above 1× in the requests/s column (below 1× for p99) mean switchyard is faster.`,
    '',
    ...sections,
  ].join('\n');
}
