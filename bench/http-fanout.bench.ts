/**
 * A BFF fan-out over HTTP: each call asks 3 upstreams for ~1 KB of JSON and merges the answers.
 * switchyard (`createFanout` + `httpWorker` + `mergeAll`, loaded from dist/ by the package's
 * export conditions, so Node gets the undici transport as users do) against the same fan-out written by hand as
 * `Promise.allSettled` over global `fetch` and over `undici.request`.
 */
import http from 'node:http';
import { Agent, request } from 'undici';
import { fromDist } from './_support/dist.js';
import { close, listen } from './_support/servers.js';

const { createFanout, mergeAll, staticRouter } = await fromDist<typeof import('switchyard')>('.');
const { httpWorker } = await fromDist<typeof import('switchyard/http')>('./http');

const UPSTREAMS = 3;
const CALLS = 3_000;
const CONCURRENCY = 50;
const ROUNDS = 5;

const payload = JSON.stringify(
  Array.from({ length: 10 }, (_, i) => ({ id: `item-${i}`, name: `Item number ${i}`, price: i * 3.5, tags: ['a', 'b', 'c'], stock: i * 7 })),
);


/** Runs `total` calls, `concurrency` at a time; returns calls/s and latencies. */
async function load(call: () => Promise<unknown[]>, total: number): Promise<{ rps: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  let next = 0;
  const loop = async () => {
    while (next < total) {
      next++;
      const started = performance.now();
      const items = await call();
      if (items.length !== UPSTREAMS * 10) throw new Error(`expected ${UPSTREAMS * 10} items, got ${items.length}`);
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { rps: total / seconds, p50: at(0.5), p99: at(0.99) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function flattenSettled(results: PromiseSettledResult<unknown[]>[]): unknown[] {
  const out: unknown[] = [];
  for (const result of results) if (result.status === 'fulfilled') out.push(...result.value);
  return out;
}

export default async function bench(): Promise<string> {
  const servers = Array.from({ length: UPSTREAMS }, () =>
    http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    }),
  );
  const ports = await Promise.all(servers.map(listen));
  const instances = ports.map((port, i) => ({ id: `u${i}`, url: `http://127.0.0.1:${port}` }));
  const urls = instances.map((instance) => `${instance.url}/items`);

  const fanout = createFanout({ router: staticRouter(instances) });
  const worker = httpWorker<unknown[]>({ path: '/items' });
  const strategy = mergeAll();
  const dispatcher = new Agent({ connections: 128 });

  const contenders: Record<string, () => Promise<unknown[]>> = {
    switchyard: () => fanout.run({ operation: 'items', data: undefined, context: undefined, worker, strategy }) as Promise<unknown[]>,
    'allSettled + fetch': async () =>
      flattenSettled(await Promise.allSettled(urls.map(async (url) => (await (await fetch(url)).json()) as unknown[]))),
    'allSettled + undici.request': async () =>
      flattenSettled(
        await Promise.allSettled(urls.map(async (url) => (await (await request(url, { dispatcher })).body.json()) as unknown[])),
      ),
  };
  const names = Object.keys(contenders);
  const results = Object.fromEntries(names.map((name) => [name, { rps: [] as number[], p50: [] as number[], p99: [] as number[] }]));
  try {
    for (const name of names) await load(contenders[name]!, 1_000);
    // Alternate contenders within each round so none always runs on a warmer or cooler machine.
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const name of order) {
        const r = await load(contenders[name]!, CALLS);
        results[name]!.rps.push(r.rps);
        results[name]!.p50.push(r.p50);
        results[name]!.p99.push(r.p99);
      }
    }
  } finally {
    await dispatcher.close();
    await Promise.all(servers.map(close));
  }

  const ours = median(results.switchyard!.rps);
  const rows = names.map((name) => {
    const r = results[name]!;
    return `| ${name} | ${median(r.rps).toFixed(0)} | ${median(r.p50).toFixed(2)} | ${median(r.p99).toFixed(2)} | ${(ours / median(r.rps)).toFixed(2)}× |`;
  });
  return [
    '## HTTP fan-out: switchyard vs hand-written allSettled',
    '',
    `${CALLS} calls per round at concurrency ${CONCURRENCY}, each asking ${UPSTREAMS} node:http upstreams on loopback for ~1 KB of JSON and merging the arrays; median of ${ROUNDS} rounds with the contenders alternated. switchyard is \`createFanout\` (defaults: 5 s attempt timeout, 10 s deadline) + \`httpWorker\` + \`mergeAll\` from \`switchyard/http\` as Node resolves it (undici transport, loaded from dist/); the hand-written versions have no timeout, deadline or classification.`,
    '',
    '| contender | calls/s | p50 ms | p99 ms | switchyard calls/s ÷ this |',
    '|---|---:|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
}
