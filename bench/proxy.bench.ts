import http from 'node:http';
import type { AddressInfo } from 'node:net';
import replyFrom from '@fastify/reply-from';
import Fastify from 'fastify';
import { createProxy, toNodeHandler } from '../dist/http.js';

const REQUESTS = 2_000;
const CONCURRENCY = 20;
const ROUNDS = 5;

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Sends `total` small GETs, `concurrency` at a time over keep-alive sockets; returns requests/s and latencies. */
async function load(port: number, total: number): Promise<{ rps: number; p50: number; p99: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  let next = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      http
        .get({ host: '127.0.0.1', port, path: `/items/${next}?q=1`, agent }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
            latencies.push(performance.now() - started);
            resolve();
          });
        })
        .on('error', reject);
    });
  const worker = async () => {
    while (next < total) {
      next++;
      await one();
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
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

/**
 * Proxy throughput on loopback: switchyard's `createProxy` behind node:http against fastify with
 * @fastify/reply-from, both forwarding small GETs to the same upstream, in one run.
 */
export default async function (): Promise<string> {
  const upstream = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  const upstreamPort = await listen(upstream);
  const target = `http://127.0.0.1:${upstreamPort}`;

  const ours = http.createServer(toNodeHandler(createProxy({ target })));
  const oursPort = await listen(ours);

  const fastify = Fastify({ logger: false });
  await fastify.register(replyFrom, { base: target });
  fastify.get('/*', (request, reply) => reply.from(request.url));
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  const fastifyPort = (fastify.server.address() as AddressInfo).port;

  const results: Record<'switchyard' | 'reply-from', { rps: number[]; p50: number[]; p99: number[] }> = {
    switchyard: { rps: [], p50: [], p99: [] },
    'reply-from': { rps: [], p50: [], p99: [] },
  };
  try {
    await load(oursPort, 1_000);
    await load(fastifyPort, 1_000);
    // Alternate rounds so neither side always runs on a warmer or cooler machine.
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, port] of [
        ['switchyard', oursPort],
        ['reply-from', fastifyPort],
      ] as const) {
        const r = await load(port, REQUESTS);
        results[name].rps.push(r.rps);
        results[name].p50.push(r.p50);
        results[name].p99.push(r.p99);
      }
    }
  } finally {
    await fastify.close();
    await close(ours);
    await close(upstream);
  }

  const ourRps = median(results.switchyard.rps);
  const theirRps = median(results['reply-from'].rps);
  const row = (name: keyof typeof results) =>
    `| ${name} | ${median(results[name].rps).toFixed(0)} | ${median(results[name].p50).toFixed(2)} | ${median(results[name].p99).toFixed(2)} |`;
  return [
    '## Proxy throughput (loopback)',
    '',
    `${REQUESTS} small GETs at concurrency ${CONCURRENCY} over keep-alive, median of ${ROUNDS} alternating rounds, both proxies forwarding to the same node:http upstream in one process.`,
    '',
    '| proxy | requests/s | p50 ms | p99 ms |',
    '|---|---:|---:|---:|',
    row('switchyard'),
    row('reply-from'),
    '',
    `switchyard \`createProxy\` (node:http + \`toNodeHandler\`, global fetch) runs at **${(ourRps / theirRps).toFixed(2)}×** the throughput of fastify + @fastify/reply-from (undici pool).`,
    '',
  ].join('\n');
}
