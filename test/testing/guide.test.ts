/** The example of docs/testing.md, run: a fan-out over seeded fake instances in simulated time. */
import { expect, test } from 'vitest';
import { createFanout, partialWithWarnings, staticRouter } from '../../src/index.js';
import { createManualClock, fakeInstances, seededRandom } from '../../src/testing/index.js';

async function dashboardOnce() {
  const clock = createManualClock();
  const { instances, worker, stats } = fakeInstances({
    count: 5,
    seed: 42,
    latency: { baseMs: 20, jitterMs: 10, slowProbability: 0.2, slowExtraMs: 5_000 },
    failureProbability: 0.1,
    statuses: { 403: 0.1 },
    clock,
  });
  const fanout = createFanout({ router: staticRouter(instances), clock, random: seededRandom(1), timeoutMs: 1_000, deadlineMs: 2_000 });
  const running = fanout.run({ operation: 'dashboard', data: {}, context: {}, worker, strategy: partialWithWarnings() });
  await clock.advanceAsync(2_000);
  const result = await running;
  return { answered: result.data.length, warnings: result.warnings.map((w) => [w.instance, w.category]), stats: stats(), pending: clock.pending() };
}

test('reports the instance that ran out of time, the same way in every run', async () => {
  const first = await dashboardOnce();
  expect(first).toEqual({
    answered: 3,
    warnings: [['fake-0', 'timeout']],
    stats: { calls: 8, succeeded: 3, failed: 1, aborted: 4 },
    pending: 0,
  });
  expect(await dashboardOnce()).toEqual(first);
});
