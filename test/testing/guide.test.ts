/** The examples of docs/testing.md, run: fan-outs over seeded fake instances, in simulated time and over HTTP. */
import { afterEach, describe, expect, test } from 'vitest';
import { createFanout, partialWithWarnings, staticRouter } from '../../src/index.js';
import { httpWorker } from '../../src/http/index.js';
import { createManualClock, fakeInstances, seededRandom, startFakeHttpFleet, type FakeHttpFleet } from '../../src/testing/index.js';

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

describe('fake instances over HTTP (the example of docs/testing.md)', () => {
  let fleet: FakeHttpFleet | undefined;
  afterEach(() => fleet?.close());

  test('shows the regions that answered and retries the one that asked to wait', async () => {
    fleet = await startFakeHttpFleet({
      instances: [{ id: 'eu' }, { id: 'us' }, { id: 'asia' }],
      seed: 7,
      latency: { baseMs: 5, jitterMs: 5 },
      respond: (request) => [{ region: request.instanceId }],
    });
    fleet.setFault('us', (request) => (request.index === 0 ? { fault: 'status', status: 503, retryAfterSeconds: 1 } : undefined));
    fleet.setFault('asia', { fault: 'hang' });

    const fanout = createFanout({ router: staticRouter(fleet.instances), timeoutMs: 2_000, deadlineMs: 5_000 });
    const orders = httpWorker<{ region: string }[]>({ path: '/orders' });
    const result = await fanout.run({ operation: 'orders', data: {}, context: {}, worker: orders, strategy: partialWithWarnings() });

    expect(result.data.map((order) => order.region).sort()).toEqual(['eu', 'us']);
    expect(result.warnings.map((warning) => [warning.instance, warning.category])).toEqual([['asia', 'timeout']]);
    expect(fleet.requests.filter((request) => request.instanceId === 'us')).toHaveLength(2); // the 503, then its retry
  });
});
