/**
 * Issue 2: the cost of the executor itself. N in-process workers that resolve at once, with
 * timeout and retry configured but never firing, against a bare Promise.allSettled of the same
 * workers and against cockatiel 3's wrap(retry, timeout) composed per call.
 */
import { ExponentialBackoff, handleAll, retry, timeout, TimeoutStrategy, wrap } from 'cockatiel';
import { createFanout, mergeAll, staticRouter, type Instance } from '../dist/index.js';

const worker = async (instance: Instance) => instance.id;

async function measure(name: string, fn: () => Promise<unknown>, minMs = 1500): Promise<number> {
  for (let i = 0; i < 200; i += 1) await fn(); // warm-up
  let iterations = 0;
  const started = performance.now();
  while (performance.now() - started < minMs) {
    for (let i = 0; i < 50; i += 1) await fn();
    iterations += 50;
  }
  return (performance.now() - started) / iterations; // ms per fan-out
}

export default async function bench(): Promise<string> {
  const rows: string[] = [];
  for (const n of [1, 10, 100]) {
    const instances = Array.from({ length: n }, (_, i) => ({ id: `i${i}` }));
    const fanout = createFanout({ router: staticRouter(instances), timeoutMs: 5000, deadlineMs: 10_000, concurrency: n, retry: { maxAttempts: 2 } });
    const strategy = mergeAll();
    const policy = wrap(
      retry(handleAll, { maxAttempts: 1, backoff: new ExponentialBackoff() }),
      timeout(5000, TimeoutStrategy.Cooperative),
    );
    const bare = await measure('allSettled', () => Promise.allSettled(instances.map((i) => worker(i))));
    const cockatiel = await measure('cockatiel', () =>
      Promise.allSettled(instances.map((i) => policy.execute(() => worker(i)))),
    );
    const switchyard = await measure('switchyard', () =>
      fanout.run({ operation: 'bench', data: undefined, context: undefined, worker, strategy }),
    );
    const us = (ms: number) => (ms * 1000).toFixed(2);
    rows.push(
      `| ${n} | ${us(bare)} | ${us(cockatiel)} | ${us(switchyard)} | ${(switchyard / bare).toFixed(2)}× | ${(switchyard / cockatiel).toFixed(2)}× |`,
    );
  }
  return `## Fan-out overhead

N in-process workers that resolve at once; switchyard with timeout 5 s, deadline 10 s and one retry
configured (none fires) and mergeAll; against a bare \`Promise.allSettled\` of the same workers and
against cockatiel 3 \`wrap(retry, timeout)\` around each worker, composed once and executed per call.
Time per fan-out in µs (lower is better). Target: ≤ 2× bare at N = 10, faster than cockatiel.

| N | allSettled µs | cockatiel µs | switchyard µs | switchyard / allSettled | switchyard / cockatiel |
|---|---|---|---|---|---|
${rows.join('\n')}`;
}
