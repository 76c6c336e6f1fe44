/**
 * Combining through the real executor, with instance latencies and answers drawn by fast-check:
 * mergeAll never loses or duplicates a success (retries and hedges included), the items it returns
 * and the error codes of both strategies do not depend on the order in which instances settle, and
 * firstSuccess returns the success that settled first. (The order of mergeAll's items follows
 * settle order, so items are compared as sorted lists.)
 */
import fc from 'fast-check';
import { expect, it, vi } from 'vitest';
import { createFanout, firstSuccess, isSwitchyardError, mergeAll, staticRouter, type Instance, type Worker } from '../../src/index.js';
import { useFakeTimersFromZero } from '../_support/fakeTimers.js';
import { StatusError, wait } from '../_support/instances.js';
import { params } from './_seed.js';

useFakeTimersFromZero();

type Answer = { kind: 'ok' } | { kind: 'status'; code: 403 | 404 | 500 | 503 };
interface Spec {
  /** What each attempt answers (hedges count as attempts); the last repeats. */
  answers: Answer[];
  /** Items this instance returns on success. */
  items: number;
}

const answer: fc.Arbitrary<Answer> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'ok' } as const) },
  { weight: 2, arbitrary: fc.constantFrom(403, 404, 500, 503).map((code) => ({ kind: 'status', code }) as const) },
);
const spec: fc.Arbitrary<Spec> = fc.record({ answers: fc.array(answer, { minLength: 1, maxLength: 3 }), items: fc.nat({ max: 3 }) });
/** Specs with one distinct latency per instance (1..200 ms), so settle order is well defined. */
const fleet = fc.array(spec, { minLength: 1, maxLength: 6 }).chain((specs) =>
  fc.tuple(fc.constant(specs), fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { minLength: specs.length, maxLength: specs.length })),
);

const tokens = (id: string, spec: Spec) => Array.from({ length: spec.items }, (_, k) => `${id}#${k}`);
const sorted = (list: readonly string[]) => [...list].sort();

function workerFor(specs: Spec[], latencies: number[]): Worker<string[]> {
  const attempts = new Map<string, number>();
  return async (instance, call) => {
    const index = Number(instance.id.slice(1));
    const n = (attempts.get(instance.id) ?? 0) + 1;
    attempts.set(instance.id, n);
    const s = specs[index]!;
    const a = s.answers[Math.min(n, s.answers.length) - 1]!;
    await wait(latencies[index]!, call.signal);
    if (a.kind === 'status') throw new StatusError(a.code);
    return tokens(instance.id, s);
  };
}

type Settled = { ok: true; value: unknown; successes: string[] } | { ok: false; code: string; successes: string[] };

async function play(
  specs: Spec[],
  latencies: number[],
  strategy: ReturnType<typeof mergeAll> | ReturnType<typeof firstSuccess>,
  resilience: { retry: boolean; hedge: boolean },
): Promise<Settled> {
  const instances: Instance[] = specs.map((_, i) => ({ id: `i${i}` }));
  const fanout = createFanout({
    router: staticRouter(instances),
    timeoutMs: 1_000,
    retry: resilience.retry ? { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 } : false,
    hedge: resilience.hedge ? { delayMs: 50 } : false,
    budget: false,
    random: () => 0.5,
  });
  const run = fanout.runDetailed({ operation: 'search', data: undefined, context: undefined, worker: workerFor(specs, latencies), strategy });
  const result = run.then(
    ({ value, report }) => ({ ok: true as const, value, report }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  await vi.advanceTimersByTimeAsync(10_000);
  const settled = await result;
  if (settled.ok) {
    const successes = settled.report.instances.filter((r) => r.status === 'success').map((r) => r.instanceId);
    return { ok: true, value: settled.value, successes };
  }
  if (!isSwitchyardError(settled.error)) throw settled.error;
  return { ok: false, code: settled.error.code, successes: [] };
}

it('mergeAll returns every success exactly once, with retries and hedges on or off', async () => {
  await fc.assert(
    fc.asyncProperty(fleet, fc.boolean(), fc.boolean(), async ([specs, latencies], retry, hedge) => {
      const settled = await play(specs, latencies, mergeAll(), { retry, hedge });
      if (!settled.ok) {
        // Nothing succeeded, and something failed (all 403/404 would be an empty list).
        expect(settled.code).toBe('ALL_FAILED');
        expect(specs.some((s) => s.answers.some((a) => a.kind === 'status' && a.code >= 500))).toBe(true);
        return;
      }
      const expected = settled.successes.flatMap((id) => tokens(id, specs[Number(id.slice(1))]!));
      expect(sorted(settled.value as string[])).toEqual(sorted(expected));
      expect(new Set(settled.value as string[]).size).toBe((settled.value as string[]).length);
      if (!retry && !hedge) {
        // One attempt each: exactly the instances whose first answer is a success.
        expect(sorted(settled.successes)).toEqual(sorted(specs.flatMap((s, i) => (s.answers[0]!.kind === 'ok' ? [`i${i}`] : []))));
      }
    }),
    params(150),
  );
});

it('mergeAll gives the same items and the same error whatever order the instances settle in', async () => {
  await fc.assert(
    fc.asyncProperty(fleet, fc.integer(), async ([specs, latencies], shuffle) => {
      const permuted = [...latencies];
      for (let i = permuted.length - 1, s = shuffle >>> 0; i > 0; i -= 1, s = (s * 1_103_515_245 + 12_345) >>> 0) {
        const j = s % (i + 1);
        [permuted[i], permuted[j]] = [permuted[j]!, permuted[i]!];
      }
      const resilience = { retry: false, hedge: false };
      const [a, b] = [await play(specs, latencies, mergeAll(), resilience), await play(specs, permuted, mergeAll(), resilience)];
      if (a.ok && b.ok) expect(sorted(a.value as string[])).toEqual(sorted(b.value as string[]));
      else expect(b).toEqual(a);
    }),
    params(150),
  );
});

it('firstSuccess returns the success that settled first, and the same error code in any order', async () => {
  await fc.assert(
    fc.asyncProperty(fleet, fc.integer(), async ([specs, latencies], shuffle) => {
      const resilience = { retry: false, hedge: false };
      const settled = await play(specs, latencies, firstSuccess(), resilience);
      const winners = specs.flatMap((s, i) => (s.answers[0]!.kind === 'ok' ? [i] : []));
      if (winners.length > 0) {
        const first = winners.reduce((best, i) => (latencies[i]! < latencies[best]! ? i : best));
        expect(settled).toMatchObject({ ok: true, value: tokens(`i${first}`, specs[first]!) });
        return;
      }
      expect(settled.ok).toBe(false);
      const reversed = latencies.map((_, i) => latencies[(i + (shuffle >>> 0)) % latencies.length]!);
      expect(await play(specs, reversed, firstSuccess(), resilience)).toEqual(settled);
    }),
    params(150),
  );
});
