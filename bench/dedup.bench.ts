/**
 * A burst of identical requests with and without dedup (worker calls and throughput),
 * and the cost of a cache hit against a bare async function call.
 *
 * The backend is simulated as a service that handles 8 calls at a time, 1 ms each (p-limit +
 * setTimeout), so that saved worker calls show up as saved time the way they do against a real,
 * capacity-bound backend.
 */
import pLimit from 'p-limit';
import { createDedup } from '../dist/index.js';

const WAVES = 100;
const WAVE_SIZE = 100;

function backend() {
  const limit = pLimit(8);
  let calls = 0;
  const worker = () =>
    limit(async () => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 1));
      return { rows: [1, 2, 3], total: 3 };
    });
  return { worker, calls: () => calls };
}

const input = { operation: 'dashboard', principal: 'user-1', data: { range: '7d', widgets: ['a', 'b'] } };

async function burst(mode: 'none' | 'inflight' | 'cache'): Promise<{ calls: number; rps: number }> {
  const { worker, calls } = backend();
  const dedup = createDedup({ ttlMs: mode === 'cache' ? 30_000 : 0 });
  const call = mode === 'none' ? () => worker() : () => dedup.run(input, () => worker());
  const started = performance.now();
  for (let wave = 0; wave < WAVES; wave += 1) {
    await Promise.all(Array.from({ length: WAVE_SIZE }, call));
  }
  const seconds = (performance.now() - started) / 1000;
  return { calls: calls(), rps: (WAVES * WAVE_SIZE) / seconds };
}

async function perCall(fn: () => Promise<unknown>, minMs = 1500): Promise<number> {
  for (let i = 0; i < 2_000; i += 1) await fn();
  let iterations = 0;
  const started = performance.now();
  while (performance.now() - started < minMs) {
    for (let i = 0; i < 500; i += 1) await fn();
    iterations += 500;
  }
  return ((performance.now() - started) / iterations) * 1000; // µs per call
}

export default async function bench(): Promise<string> {
  const none = await burst('none');
  const inflight = await burst('inflight');
  const cache = await burst('cache');

  const value = { rows: [1, 2, 3], total: 3 };
  const bare = async () => value;
  const hitDedup = createDedup({ ttlMs: 3_600_000 });
  await hitDedup.run(input, bare);
  const singleflightOnly = createDedup();
  const bareUs = await perCall(bare);
  const hitUs = await perCall(() => hitDedup.run(input, bare));
  const passUs = await perCall(() => singleflightOnly.run(input, bare));
  const bypassUs = await perCall(() => singleflightOnly.run({ ...input, principal: undefined }, bare));

  const row = (name: string, r: { calls: number; rps: number }) =>
    `| ${name} | ${r.calls.toLocaleString('en-US')} | ${Math.round(r.rps).toLocaleString('en-US')} | ${(r.rps / none.rps).toFixed(1)}× |`;
  const us = (n: number) => n.toFixed(2);
  return `## Dedup: identical bursts and the cost of a hit

${(WAVES * WAVE_SIZE).toLocaleString('en-US')} identical requests in ${WAVES} waves of ${WAVE_SIZE} concurrent calls, against a
simulated backend that serves 8 calls at a time, 1 ms each. "no dedup" calls the worker directly;
"in-flight" is \`createDedup()\` (ttlMs 0: concurrent calls share one execution); "cache" adds
\`ttlMs: 30_000\` on the default memory store.

| mode | worker calls | requests/s | throughput vs no dedup |
|---|---:|---:|---:|
${row('no dedup', none)}
${row('in-flight sharing', inflight)}
${row('in-flight + 30 s cache', cache)}

Cost per sequential call, µs (lower is better), against a bare \`async () => value\`:

| call | µs | vs bare |
|---|---:|---:|
| bare async function | ${us(bareUs)} | 1.0× |
| \`dedup.run\`, cache hit (memory store: key hash, get, JSON.parse) | ${us(hitUs)} | ${(hitUs / bareUs).toFixed(1)}× |
| \`dedup.run\`, ttlMs 0, no concurrent twin (canonical key + one flight) | ${us(passUs)} | ${(passUs / bareUs).toFixed(1)}× |
| \`dedup.run\`, no principal (bypass) | ${us(bypassUs)} | ${(bypassUs / bareUs).toFixed(1)}× |
`;
}
