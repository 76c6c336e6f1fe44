/**
 * The cost of the executor itself. N in-process workers that resolve at once, with timeout and
 * retry configured but never firing, against a bare Promise.allSettled of the same workers, against
 * cockatiel 3's wrap(retry, timeout) composed per call, and against the careful hand-rolled version
 * (p-limit + an AbortController per worker + a setTimeout per attempt + one retry + outcomes sorted
 * into success / error / timeout). The contenders run alternately, round after round, so none always
 * gets the warmer or cooler machine; each column is the median of the rounds.
 */
import { ExponentialBackoff, handleAll, retry, timeout, TimeoutStrategy, wrap } from 'cockatiel';
import pLimit from 'p-limit';
import { createFanout, mergeAll, staticRouter, type Instance } from '../dist/index.js';

const worker = async (instance: Instance) => instance.id;
const ROUNDS = 7;
const ROUND_MS = 300;

async function measure(fn: () => Promise<unknown>, minMs: number): Promise<number> {
  let iterations = 0;
  const started = performance.now();
  while (performance.now() - started < minMs) {
    for (let i = 0; i < 50; i += 1) await fn();
    iterations += 50;
  }
  return (performance.now() - started) / iterations; // ms per fan-out
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

type HandOutcome =
  | { status: 'success'; instance: Instance; data: string; attempts: number }
  | { status: 'error' | 'timeout'; instance: Instance; error: unknown; attempts: number };

class AttemptTimeout extends Error {
  override name = 'TimeoutError';
}

/**
 * What a careful engineer writes without a library: bounded concurrency, a signal per worker, a
 * timeout per attempt that aborts it, one retry, and results sorted by kind before merging.
 */
function handRolled(
  instances: readonly Instance[],
  work: (instance: Instance, signal: AbortSignal) => Promise<string>,
  options: { concurrency: number; timeoutMs: number; maxAttempts: number },
) {
  const limit = pLimit(options.concurrency);
  const callOne = async (instance: Instance): Promise<HandOutcome> => {
    for (let attempt = 1; ; attempt += 1) {
      const controller = new AbortController();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new AttemptTimeout('attempt timed out'));
        }, options.timeoutMs);
      });
      try {
        const data = await Promise.race([work(instance, controller.signal), timedOut]);
        return { status: 'success', instance, data, attempts: attempt };
      } catch (error) {
        if (attempt < options.maxAttempts) continue;
        return { status: error instanceof AttemptTimeout ? 'timeout' : 'error', instance, error, attempts: attempt };
      } finally {
        clearTimeout(timer);
      }
    }
  };
  return Promise.all(instances.map((instance) => limit(() => callOne(instance)))).then((outcomes) => {
    const successes: string[] = [];
    const errors: HandOutcome[] = [];
    const timeouts: HandOutcome[] = [];
    for (const outcome of outcomes) {
      if (outcome.status === 'success') successes.push(outcome.data);
      else if (outcome.status === 'timeout') timeouts.push(outcome);
      else errors.push(outcome);
    }
    if (successes.length === 0 && errors.length + timeouts.length > 0) throw new Error('all failed');
    return successes;
  });
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
    const contenders: Record<string, () => Promise<unknown>> = {
      allSettled: () => Promise.allSettled(instances.map((i) => worker(i))),
      cockatiel: () => Promise.allSettled(instances.map((i) => policy.execute(() => worker(i)))),
      handRolled: () => handRolled(instances, worker, { concurrency: n, timeoutMs: 5000, maxAttempts: 2 }),
      switchyard: () => fanout.run({ operation: 'bench', data: undefined, context: undefined, worker, strategy }),
    };
    const names = Object.keys(contenders);
    for (const name of names) for (let i = 0; i < 200; i += 1) await contenders[name]!(); // warm-up
    const times: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const name of order) times[name]!.push(await measure(contenders[name]!, ROUND_MS));
    }
    const [bare, cockatiel, hand, switchyard] = names.map((name) => median(times[name]!)) as [number, number, number, number];
    const us = (ms: number) => (ms * 1000).toFixed(2);
    rows.push(
      `| ${n} | ${us(bare)} | ${us(cockatiel)} | ${us(hand)} | ${us(switchyard)} | ${(switchyard / bare).toFixed(2)}× | ${(switchyard / cockatiel).toFixed(2)}× | ${(switchyard / hand).toFixed(2)}× |`,
    );
  }
  return `## Fan-out overhead

N in-process workers that resolve at once; switchyard with timeout 5 s, deadline 10 s and one retry
configured (none fires) and mergeAll; against a bare \`Promise.allSettled\` of the same workers,
against cockatiel 3 \`wrap(retry, timeout)\` around each worker (composed once, executed per call),
and against the careful hand-rolled version: p-limit, an AbortController per worker, a setTimeout
per attempt, one retry, and outcomes sorted into success / error / timeout before merging.
Contenders alternate within each of ${ROUNDS} rounds; time per fan-out in µs is the median of the
rounds (lower is better). Targets at N = 10: ≤ 4× bare, ≤ 0.5× hand-rolled.

| N | allSettled µs | cockatiel µs | hand-rolled µs | switchyard µs | switchyard / allSettled | switchyard / cockatiel | switchyard / hand-rolled |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}`;
}
