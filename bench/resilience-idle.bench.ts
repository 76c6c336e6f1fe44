/**
 * What breakers and hedging cost when they are armed but never fire, against the core
 * executor alone, on the same in-process workers.
 */
import { createFanout, mergeAll, staticRouter, type Instance } from '../dist/index.js';

const worker = async (instance: Instance) => instance.id;

async function measure(fn: () => Promise<unknown>, minMs = 1500): Promise<number> {
  for (let i = 0; i < 500; i += 1) await fn();
  let iterations = 0;
  const started = performance.now();
  while (performance.now() - started < minMs) {
    for (let i = 0; i < 50; i += 1) await fn();
    iterations += 50;
  }
  return ((performance.now() - started) / iterations) * 1000; // µs per fan-out
}

export default async function bench(): Promise<string> {
  const rows: string[] = [];
  for (const n of [10, 100]) {
    const instances = Array.from({ length: n }, (_, i) => ({ id: `i${i}` }));
    const base = { router: staticRouter(instances), concurrency: n, timeoutMs: 5000 } as const;
    const core = createFanout(base);
    const armed = createFanout({ ...base, breaker: { policy: { kind: 'consecutive', threshold: 5 } }, hedge: { percentile: 0.95, delayMs: 1000 } });
    const strategy = mergeAll();
    const call = { operation: 'bench', data: undefined, context: undefined, worker, strategy };
    const coreUs = await measure(() => core.run(call));
    const armedUs = await measure(() => armed.run(call));
    rows.push(`| ${n} | ${coreUs.toFixed(1)} | ${armedUs.toFixed(1)} | ${(armedUs / coreUs).toFixed(2)}× |`);
  }
  return `## Breakers and hedging armed but idle

The same fan-out with and without per-instance breakers (consecutive, threshold 5) and adaptive
hedging (p95, 1 s fallback) configured; workers resolve at once so neither ever fires. µs per
fan-out. Target: at most 1.3×.

| N | core µs | breaker + hedging µs | ratio |
|---|---|---|---|
${rows.join('\n')}`;
}
