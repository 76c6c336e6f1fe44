import { getEventListeners } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createFanout,
  isSwitchyardError,
  staticRouter,
  type FanoutReport,
  type Instance,
  type WorkerCall,
} from '../../src/index.js';
import { fakeInstances, FakeInstanceError, type FakeCall, type FakeFaultPlan } from '../../src/testing/index.js';
import { leftoverResources } from '../_support/resources.js';
import {
  expectedOf,
  FAULTS,
  outcomeText,
  renderValue,
  SCOPES,
  STRATEGIES,
  strategyOf,
  TIMING,
  TRAITS,
  type Cell,
  type Expected,
  type Fault,
} from './_matrix.js';
import { knownBug, writeTable, type Row } from './_table.js';

/**
 * The chaos matrix, in process: every fault × every built-in strategy × retry × hedge × dedup,
 * on fake instances (switchyard/testing) under fake timers. Each cell checks `fake-0`'s outcome,
 * its attempts and hedges, the call's value or error code, that dedup shares the call, and that
 * nothing is left behind: no timer, no handle, no abort listener, no unhandled rejection.
 * The run writes docs/reliability.md.
 */

type Ctx = { user: string };
type Value = string[];

/** The error a worker gets from fetch when the connection is reset or refused. */
const networkError = (code: string) => new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });

/**
 * Fake instances that all have `fault`: switchyard/testing's fakeInstances with the fault plan it
 * shares with the HTTP fakes, or with `respond` for what that plan has no word for (a refused
 * connection, a Retry-After shorter than a second).
 */
function faultyInstances(fault: Fault, credentials: Map<string, number>) {
  const latencyMs = fault === 'slow' ? TIMING.slowMs : TIMING.faultMs;
  const plan: FakeFaultPlan<FakeCall> | undefined = (() => {
    switch (fault) {
      case 'hang':
      case 'reset':
      case 'malformed':
        return { fault };
      case '500':
      case '403':
      case '404':
      case '401':
        return { fault: 'status', status: Number(fault) };
      case '401+refresh':
        // 401 until this instance's credential has been refreshed.
        return (request: FakeCall) => ((credentials.get(request.instanceId) ?? 0) === 0 ? { fault: 'status', status: 401 } : undefined);
      case '401+refresh-rejected':
        return { fault: 'status', status: 401 };
      default:
        return undefined;
    }
  })();
  return fakeInstances<Value>({
    count: 3,
    seed: 2,
    latency: { baseMs: latencyMs },
    ...(plan === undefined ? {} : { fault: plan }),
    respond: (instance) => {
      switch (fault) {
        case 'refused':
          throw networkError('ECONNREFUSED');
        case '503+Retry-After':
          throw new FakeInstanceError(503, instance.id, TIMING.retryAfterMs);
        default:
          return [instance.id];
      }
    },
  });
}

function fleet(cell: Cell) {
  const credentials = new Map<string, number>();
  const refreshes: string[] = [];
  const healthy = fakeInstances<Value>({ count: 3, seed: 1, latency: { baseMs: TIMING.healthyMs }, respond: (instance) => [instance.id] });
  const faulty = faultyInstances(cell.fault, credentials);
  const call = (instance: Instance, call: WorkerCall<unknown, unknown>) =>
    (cell.scope === 'all' || instance.id === 'fake-0' ? faulty : healthy).worker(instance, call);
  const refreshCredentials = (instance: Instance) => {
    refreshes.push(instance.id);
    credentials.set(instance.id, (credentials.get(instance.id) ?? 0) + 1);
  };
  const traits = {
    // A POST-like worker: its work must not be repeated.
    ...(cell.idempotent ? {} : { idempotent: false }),
    ...(TRAITS[cell.fault].refreshes === true ? { refreshCredentials } : {}),
  };
  const worker = Object.assign(call, traits);
  return {
    instances: healthy.instances,
    worker,
    calls: () => healthy.stats().calls + faulty.stats().calls,
    refreshes: () => refreshes.filter((id) => id === 'fake-0').length,
  };
}


/** Advances fake time until every promise settled (each timer in turn, so no step skips one). */
async function settleAll<T>(promises: Promise<T>[]): Promise<PromiseSettledResult<T>[]> {
  let done = false;
  const all = Promise.allSettled(promises).then((results) => {
    done = true;
    return results;
  });
  for (let step = 0; !done && step < 10_000; step += 1) {
    if (vi.getTimerCount() > 0) await vi.advanceTimersToNextTimerAsync();
    else await new Promise((resolve) => setImmediate(resolve));
  }
  return all;
}

interface Run {
  results: PromiseSettledResult<{ value: unknown; report: FanoutReport }>[];
  calls: number;
  /** Credential refreshes for fake-0. */
  refreshes: number;
  signals: AbortSignal[];
  timersLeft: number;
  /** What on.finish reported, one per execution (one for callers sharing it through dedup). */
  reports: FanoutReport[];
}

async function run(cell: Cell, dedup: boolean, callers: number): Promise<Run> {
  const { instances, worker, calls, refreshes } = fleet(cell);
  const fanout = createFanout<unknown, Ctx>({
    router: staticRouter(instances),
    timeoutMs: TIMING.timeoutMs,
    deadlineMs: TIMING.deadlineMs,
    retry: cell.retry ? TIMING.retry : false,
    hedge: cell.hedge ? { delayMs: TIMING.hedgeDelayMs } : false,
    // The matrix tests the rules for one call; the retry budget across calls has its own tests.
    budget: false,
    random: () => 0.5,
    principal: (context) => context.user,
    dedup: dedup ? { ttlMs: 0 } : false,
    on: { finish: (state) => reports.push(state.report) },
  });
  const reports: FanoutReport[] = [];
  const controllers = Array.from({ length: callers }, () => new AbortController());
  const results = await settleAll(
    controllers.map((controller) =>
      fanout.runDetailed({
        operation: 'chaos',
        data: { q: 'eng' },
        context: { user: 'alice' },
        worker,
        strategy: strategyOf(cell.strategy),
        signal: controller.signal,
      }),
    ),
  );
  return { results, calls: calls(), refreshes: refreshes(), signals: controllers.map((c) => c.signal), timersLeft: vi.getTimerCount(), reports };
}

interface Observed extends Expected {
  calls: number;
  referenceCalls: number;
  retryWaitMs: number | undefined;
}

function observe(cell: Cell, main: Run, reference: Run): Observed {
  const first = main.results[0]!;
  const error: unknown = first.status === 'rejected' ? first.reason : undefined;
  const result =
    first.status === 'fulfilled' ? renderValue(cell.strategy, first.value.value) : isSwitchyardError(error) ? `error ${error.code}` : `threw ${String(error)}`;
  const report = main.reports[0];
  const instance = report?.instances.find((i) => i.instanceId === 'fake-0');
  const cancelled = instance === undefined || instance.status === 'skipped';
  const attempts = instance?.attempts.filter((a) => !a.hedge) ?? [];
  return {
    faulty: instance === undefined ? 'no report' : outcomeText(instance.status, instance.reason),
    attempts: cancelled ? undefined : attempts.length,
    hedges: cancelled ? undefined : instance.attempts.filter((a) => a.hedge).length,
    result,
    refreshes: reference.refreshes,
    calls: main.calls,
    referenceCalls: reference.calls,
    retryWaitMs: attempts.length >= 2 && attempts[0]!.endMs !== undefined ? attempts[1]!.startMs - attempts[0]!.endMs : undefined,
  };
}

const cells: Cell[] = [];
for (const idempotent of [true, false])
  for (const fault of FAULTS)
    for (const scope of SCOPES)
      for (const strategy of STRATEGIES)
        for (const retry of [false, true])
          for (const hedge of [false, true])
            for (const dedup of idempotent ? [false, true] : [false]) cells.push({ fault, idempotent, scope, strategy, retry, hedge, dedup });

const rows: Row[] = [];
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);
const name = (c: Cell) =>
  `${c.idempotent ? '' : 'not idempotent, '}${c.fault} on ${c.scope === 'one' ? 'one instance' : 'every instance'}, ${c.strategy}, retry ${c.retry ? 'on' : 'off'}, hedge ${c.hedge ? 'on' : 'off'}, dedup ${c.dedup ? 'on' : 'off'}`;

describe('chaos matrix (in process, fake timers)', () => {
  beforeAll(() => {
    process.on('unhandledRejection', onRejection);
  });
  afterAll(() => {
    process.off('unhandledRejection', onRejection);
    // Only a full run writes the table: a filtered run (-t) would publish a partial one.
    if (rows.length === cells.length) writeTable(fileURLToPath(new URL('../../docs/reliability.md', import.meta.url)), rows);
  });
  let before: string[] = [];
  beforeEach(() => {
    before = process.getActiveResourcesInfo();
    // setImmediate stays real: the cell yields to the event loop with it to let rejections surface.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  for (const cell of cells) {
    const bug = knownBug(cell);
    (bug === undefined ? it : it.fails)(name(cell), async () => {
      const expected = expectedOf(cell);
      const reference = await run(cell, false, 1);
      const main = await run(cell, cell.dedup, 2);
      await new Promise((resolve) => setImmediate(resolve));
      const observed = observe(cell, main, reference);
      const sameForBoth = main.results.map((r) => (r.status === 'fulfilled' ? renderValue(cell.strategy, r.value.value) : String((r.reason as { code?: string }).code)));
      rows.push({ cell, expected, observed, bug });

      expect({ faulty: observed.faulty, attempts: observed.attempts, hedges: observed.hedges, result: observed.result, refreshes: observed.refreshes }).toEqual({
        faulty: expected.faulty,
        attempts: expected.attempts,
        hedges: expected.hedges,
        result: expected.result,
        refreshes: expected.refreshes,
      });
      // Each execution refreshes on its own: a worker that shares one refresh across a burst (as
      // httpWorker does) is checked on the wire.
      expect(main.refreshes).toBe(cell.dedup ? observed.refreshes : 2 * observed.refreshes);
      // Both callers get the same answer; dedup on makes them share one execution.
      expect(new Set(sameForBoth).size).toBe(1);
      expect(observed.calls).toBe(cell.dedup ? observed.referenceCalls : 2 * observed.referenceCalls);
      // Retry-After: the retry waited at least what the instance asked for.
      if (cell.fault === '503+Retry-After' && expected.attempts === 2) expect(observed.retryWaitMs).toBeGreaterThanOrEqual(TIMING.retryAfterMs);
      // Nothing left behind.
      expect(main.timersLeft + reference.timersLeft).toBe(0);
      // Timers are counted by the fake clock above; a real 'Timeout' here is the test runner's own
      // (it captured the real setTimeout before this file faked it), so only other handles count.
      expect(leftoverResources(before).filter((r) => r !== 'Timeout')).toEqual([]);
      for (const signal of [...main.signals, ...reference.signals]) expect(getEventListeners(signal, 'abort')).toHaveLength(0);
      expect(rejections).toEqual([]);
    });
  }
});
