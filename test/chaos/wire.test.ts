import { getEventListeners } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  createFanout,
  firstSuccess,
  isSwitchyardError,
  staticRouter,
  type FanoutReport,
  type Instance,
  type Worker,
} from '../../src/index.js';
import { httpWorker } from '../../src/http/index.js';
import { startFakeHttpFleet, type FakeFaultPlan, type FakeHttpFleet, type FakeHttpRequest } from '../../src/testing/index.js';
import { leftoverResourcesSettled } from '../_support/resources.js';
import { expectedOf, outcomeText, renderValue, SCOPES, STRATEGIES, TIMING, type Cell, type Fault, type Scope, strategyOf } from './_matrix.js';

/**
 * The chaos matrix's real-HTTP slice, on the HTTP fakes of switchyard/testing (real servers on
 * 127.0.0.1), called with switchyard/http's `httpWorker`:
 *
 * - the faults that exist only on the wire — a connection reset by the instance, a refused
 *   connection, a malformed JSON body — for a GET (idempotent);
 * - the same faults and a 500 for a POST (not idempotent), with retries and hedging on: only the
 *   refused connection may be retried, nothing is hedged;
 * - the 401 credential refresh through `httpWorker`'s `credentials`, for two calls at once: both
 *   get 401 and share one refresh.
 *
 * The expectations are the in-process matrix's (test/chaos/_matrix.ts), and each fake counts the
 * requests it got, so a retry is seen on the wire, not only in the report.
 *
 * Real time here: no cell waits on a timer but the 5 ms retry backoff, and the timeout (2 s) is
 * only a safety net, never reached; a hedge, when one is allowed, would start after 50 ms, long
 * before it. `firstSuccess` with one faulty instance, and after a successful 401 refresh on every
 * instance, is left to the in-process matrix: which answer arrives first is a race on a real
 * network, and the strategy's outcome for `fake-0` depends on it.
 */

const IDS = ['fake-0', 'fake-1', 'fake-2'];

/** A URL nothing listens on: a port bound and released again. */
async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** The fault plan of a faulty fake; `tokens` is what a refreshed credential looks like. */
function planOf(fault: Fault): FakeFaultPlan<FakeHttpRequest> | undefined {
  switch (fault) {
    case 'reset':
    case 'malformed':
      return { fault };
    case '500':
      return { fault: 'status', status: 500 };
    case '401+refresh':
      // Refuses the first credential (`t0`), accepts a refreshed one.
      return (request) => (request.headers.authorization === 'Bearer t0' ? { fault: 'status', status: 401 } : undefined);
    case '401+refresh-rejected':
      return { fault: 'status', status: 401 };
    default:
      return undefined;
  }
}

/** Three fakes answering their id as a JSON list; in scope `one` only `fake-0` has the fault. */
async function fleetFor(fault: Fault, scope: Scope): Promise<{ fleet: FakeHttpFleet; instances: Instance[] }> {
  const plan = planOf(fault);
  const fleet = await startFakeHttpFleet({
    instances: IDS.map((id) => ({ id, ...(plan !== undefined && (scope === 'all' || id === 'fake-0') ? { fault: plan } : {}) })),
    seed: 3,
    respond: (request) => [request.instanceId],
  });
  const instances = await Promise.all(
    fleet.instances.map(async (instance) => (fault === 'refused' && (scope === 'all' || instance.id === 'fake-0') ? { id: instance.id, url: await refusedUrl() } : instance)),
  );
  return { fleet, instances };
}


/** A worker with per-instance credentials `t0`, `t1` … that counts its refreshes per instance. */
function withCredentials(method: 'GET' | 'POST') {
  const generation = new Map<string, number>();
  const refreshes: string[] = [];
  const worker = httpWorker<string[]>({
    path: '/items',
    method,
    ...(method === 'POST' ? { json: true } : {}),
    credentials: {
      get: (instance) => `t${generation.get(instance.id) ?? 0}`,
      refresh: async (instance) => {
        refreshes.push(instance.id);
        // A token service takes a moment: the other call's 401 arrives while this one runs, or after.
        await new Promise((resolve) => setTimeout(resolve, 5));
        generation.set(instance.id, (generation.get(instance.id) ?? 0) + 1);
      },
    },
  });
  return { worker, refreshes: () => refreshes.filter((id) => id === 'fake-0').length };
}

const get = httpWorker<string[]>({ path: '/items' });
const post = httpWorker<string[], { order: number }>({ path: '/orders', json: true });

interface Plan {
  cell: Cell;
  /** Calls made at once; each must see the documented outcome. */
  callers: number;
  worker: () => { worker: Worker<string[], { order: number }>; refreshes?: () => number };
}

const plans: Plan[] = [];
for (const scope of SCOPES)
  for (const strategy of STRATEGIES) {
    if (strategy === 'firstSuccess' && scope === 'one') continue;
    for (const fault of ['reset', 'refused', 'malformed'] as const)
      for (const retry of [false, true]) plans.push({ cell: { fault, idempotent: true, scope, strategy, retry, hedge: false, dedup: false }, callers: 1, worker: () => ({ worker: get }) });
    for (const fault of ['reset', 'refused', 'malformed', '500'] as const)
      plans.push({ cell: { fault, idempotent: false, scope, strategy, retry: true, hedge: true, dedup: false }, callers: 1, worker: () => ({ worker: post }) });
    for (const fault of ['401+refresh', '401+refresh-rejected'] as const)
      for (const idempotent of [true, false]) {
        // After a successful refresh every instance answers: which wins `firstSuccess` is a race.
        if (strategy === 'firstSuccess' && fault === '401+refresh') continue;
        plans.push({ cell: { fault, idempotent, scope, strategy, retry: true, hedge: false, dedup: false }, callers: 2, worker: () => withCredentials(idempotent ? 'GET' : 'POST') });
      }
  }

const name = ({ cell, callers }: Plan) =>
  `${cell.idempotent ? 'GET' : 'POST'}, ${cell.fault} on ${cell.scope === 'one' ? 'one instance' : 'every instance'}, ${cell.strategy}, retry ${cell.retry ? 'on' : 'off'}, hedge ${cell.hedge ? 'on' : 'off'}${callers > 1 ? `, ${callers} calls at once` : ''}`;

describe('chaos matrix on the wire (HTTP fakes on 127.0.0.1)', () => {
  for (const plan of plans) {
    const { cell, callers } = plan;
    it(name(plan), async () => {
      const expected = expectedOf(cell);
      const before = process.getActiveResourcesInfo();
      const rejections: unknown[] = [];
      const onRejection = (reason: unknown) => rejections.push(reason);
      process.on('unhandledRejection', onRejection);
      const { fleet, instances } = await fleetFor(cell.fault, cell.scope);
      try {
        const { worker, refreshes } = plan.worker();
        const reports: FanoutReport[] = [];
        const fanout = createFanout({
          router: staticRouter(instances),
          timeoutMs: 2_000,
          deadlineMs: 5_000,
          retry: cell.retry ? TIMING.retry : false,
          hedge: cell.hedge ? { delayMs: TIMING.hedgeDelayMs } : false,
          budget: false,
          random: () => 0.5,
          on: { finish: (state) => reports.push(state.report) },
        });
        const controllers = Array.from({ length: callers }, () => new AbortController());
        const results = await Promise.all(
          controllers.map((controller) =>
            fanout.runDetailed({ operation: 'chaos', data: { order: 1 }, context: {}, worker, strategy: strategyOf(cell.strategy), signal: controller.signal }).then(
              ({ value }) => renderValue(cell.strategy, value),
              (error: unknown) => (isSwitchyardError(error) ? `error ${error.code}` : `threw ${String(error)}`),
            ),
          ),
        );
        expect(reports).toHaveLength(callers);
        for (const [index, report] of reports.entries()) {
          const instance = report.instances.find((i) => i.instanceId === 'fake-0');
          const cancelled = instance === undefined || instance.status === 'skipped';
          expect({
            faulty: instance === undefined ? 'no report' : outcomeText(instance.status, instance.reason),
            attempts: cancelled ? undefined : instance.attempts.filter((a) => !a.hedge).length,
            hedges: cancelled ? undefined : instance.attempts.filter((a) => a.hedge).length,
            result: results[index],
          }).toEqual({ faulty: expected.faulty, attempts: expected.attempts, hedges: expected.hedges, result: expected.result });
        }
        // The instance saw each attempt on the wire (nothing listens for `refused`).
        if (cell.fault !== 'refused') expect(fleet.requests.filter((r) => r.instanceId === 'fake-0')).toHaveLength(callers * expected.attempts!);
        // httpWorker shares one refresh among the 401s of a burst.
        if (refreshes !== undefined) expect(refreshes()).toBe(expected.refreshes);
        for (const controller of controllers) expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      } finally {
        await fleet.close();
        process.off('unhandledRejection', onRejection);
      }
      // close() ends every connection, the server's side included: what is left is the client's.
      expect(await leftoverResourcesSettled(before)).toEqual([]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(rejections).toEqual([]);
    });
  }

  it('POST to an instance that hangs: one request on the wire, no hedge, no retry, a timeout', async () => {
    const before = process.getActiveResourcesInfo();
    const fleet = await startFakeHttpFleet({ instances: 1, seed: 3, fault: { fault: 'hang' } });
    try {
      const timeoutMs = 400;
      const fanout = createFanout({
        router: staticRouter(fleet.instances),
        timeoutMs,
        deadlineMs: 5_000,
        retry: TIMING.retry,
        hedge: { delayMs: TIMING.hedgeDelayMs },
        budget: false,
        random: () => 0.5,
      });
      const responses = await fanout.collect({ operation: 'chaos', data: { order: 1 }, context: {}, worker: post });
      expect(responses.all).toMatchObject([{ status: 'error', reason: 'timeout', attempts: 1 }]);
      // A hedge would have been sent at 50 ms, long before the 400 ms timeout.
      expect(fleet.requests).toHaveLength(1);
      expect(fleet.requests[0]!.method).toBe('POST');
    } finally {
      await fleet.close();
    }
    expect(await leftoverResourcesSettled(before)).toEqual([]);
  });
});
