import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFanout, isSwitchyardError, type FanoutReport, type Instance } from '../../src/index.js';
import { httpWorker } from '../../src/http/index.js';
import { leftoverResources, leftoverResourcesSettled } from '../_support/resources.js';
import { expectedOf, outcomeText, renderValue, SCOPES, STRATEGIES, TIMING, type Cell, type Scope, type StrategyName } from './_matrix.js';
import { firstSuccess, mergeAll, partialWithWarnings, requireInstance, staticRouter } from '../../src/index.js';

/**
 * The chaos matrix's real-HTTP slice: the faults that exist only on the wire — a connection reset
 * by the instance, a refused connection, a malformed JSON body — on real servers on 127.0.0.1,
 * called with switchyard/http's `httpWorker` (GET, so idempotent). The expectations are the
 * in-process matrix's (test/chaos/_matrix.ts), and each faulty server counts the requests it got,
 * so a retry is seen on the wire, not only in the report.
 *
 * Real time here: no cell waits on a timer but the 5 ms retry backoff, and the timeout (2 s) is
 * only a safety net, never reached. `firstSuccess` with one faulty instance is left to the
 * in-process matrix: which of a fast failure and a fast success arrives first is a race on a real
 * network, and the strategy's outcome for `fake-0` depends on it.
 */

const WIRE_FAULTS = ['reset', 'refused', 'malformed'] as const;
type WireFault = (typeof WIRE_FAULTS)[number];

interface Listening {
  server: Server;
  url: string;
  requests: number;
}

/** A server on an ephemeral port of 127.0.0.1; every answer closes its connection, so no socket outlives a cell. */
function listen(handle: (send: (status: number, body: string) => void, destroy: () => void, id: string) => void, id: string): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const listening: Listening = { server: undefined as unknown as Server, url: '', requests: 0 };
    const server = createServer((req, res) => {
      listening.requests += 1;
      req.resume();
      handle(
        (status, body) => res.writeHead(status, { 'content-type': 'application/json', connection: 'close' }).end(body),
        () => req.socket.resetAndDestroy(),
        id,
      );
    });
    listening.server = server;
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      listening.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve(listening);
    });
  });
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/** A URL nothing listens on: a port bound and released again. */
async function refusedUrl(): Promise<string> {
  const probe = await listen((send) => send(200, '[]'), 'probe');
  await close(probe.server);
  return probe.url;
}

const faulty = new Map<WireFault, (Listening | { url: string; requests: number })[]>();
const healthy: Listening[] = [];

beforeAll(async () => {
  for (const id of ['fake-1', 'fake-2']) healthy.push(await listen((send) => send(200, JSON.stringify([id])), id));
  const ids = ['fake-0', 'fake-1', 'fake-2'];
  faulty.set('reset', await Promise.all(ids.map((id) => listen((_send, destroy) => destroy(), id))));
  // A 200 whose body breaks off in the middle of the JSON.
  faulty.set('malformed', await Promise.all(ids.map((id) => listen((send) => send(200, `[{"id": "${id}", "na`), id))));
  faulty.set('refused', await Promise.all(ids.map(async () => ({ url: await refusedUrl(), requests: 0 }))));
});

afterAll(async () => {
  for (const listening of [...healthy, ...faulty.get('reset')!, ...faulty.get('malformed')!]) await close((listening as Listening).server);
});

function instancesFor(fault: WireFault, scope: Scope): Instance[] {
  const servers = faulty.get(fault)!;
  return [
    { id: 'fake-0', url: servers[0]!.url },
    { id: 'fake-1', url: scope === 'all' ? servers[1]!.url : healthy[0]!.url },
    { id: 'fake-2', url: scope === 'all' ? servers[2]!.url : healthy[1]!.url },
  ];
}

function strategyOf(name: StrategyName) {
  switch (name) {
    case 'firstSuccess':
      return firstSuccess();
    case 'mergeAll':
      return mergeAll();
    case 'requireInstance':
      return requireInstance('fake-0');
    case 'partialWithWarnings':
      return partialWithWarnings();
  }
}

/** {@link leftoverResourcesSettled}, with the servers dropping their side of each connection every turn (one may be accepted late). */
async function leftoverAfterDroppingIdle(before: readonly string[]): Promise<string[]> {
  const servers = [...healthy, ...faulty.get('reset')!, ...faulty.get('malformed')!].map((l) => (l as Listening).server);
  for (let i = 0; i < 100; i += 1) {
    for (const server of servers) server.closeAllConnections();
    if (leftoverResources(before).length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return leftoverResourcesSettled(before);
}

const worker = httpWorker<string[]>({ path: '/items' });

describe('chaos matrix on the wire (real HTTP on 127.0.0.1)', () => {
  for (const fault of WIRE_FAULTS)
    for (const scope of SCOPES)
      for (const strategy of STRATEGIES)
        for (const retry of [false, true]) {
          if (strategy === 'firstSuccess' && scope === 'one') continue;
          const cell: Cell = { fault, idempotent: true, scope, strategy, retry, hedge: false, dedup: false };
          it(`${fault} on ${scope === 'one' ? 'one instance' : 'every instance'}, ${strategy}, retry ${retry ? 'on' : 'off'}`, async () => {
            const expected = expectedOf(cell);
            const before = process.getActiveResourcesInfo();
            const rejections: unknown[] = [];
            const onRejection = (reason: unknown) => rejections.push(reason);
            process.on('unhandledRejection', onRejection);
            try {
              const server = faulty.get(fault)![0]!;
              const requestsBefore = server.requests;
              const reports: FanoutReport[] = [];
              const fanout = createFanout({
                router: staticRouter(instancesFor(fault, scope)),
                timeoutMs: 2_000,
                deadlineMs: 5_000,
                retry: retry ? TIMING.retry : false,
                budget: false,
                random: () => 0.5,
                on: { finish: (state) => reports.push(state.report) },
              });
              const controller = new AbortController();
              let result: string;
              try {
                const { value } = await fanout.runDetailed({ operation: 'chaos', data: {}, context: {}, worker, strategy: strategyOf(strategy), signal: controller.signal });
                result = renderValue(strategy, value);
              } catch (error) {
                result = isSwitchyardError(error) ? `error ${error.code}` : `threw ${String(error)}`;
              }
              const instance = reports[0]?.instances.find((i) => i.instanceId === 'fake-0');
              const cancelled = instance === undefined || instance.status === 'skipped';
              expect({
                faulty: instance === undefined ? 'no report' : outcomeText(instance.status, instance.reason),
                attempts: cancelled ? undefined : instance.attempts.filter((a) => !a.hedge).length,
                hedges: cancelled ? undefined : instance.attempts.filter((a) => a.hedge).length,
                result,
              }).toEqual({ faulty: expected.faulty, attempts: expected.attempts, hedges: expected.hedges, result: expected.result });
              // The instance saw each attempt on the wire (nothing listens for `refused`).
              if (fault !== 'refused') expect(server.requests - requestsBefore).toBe(expected.attempts);
              expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
              // A request cancelled after fetch connected but before it was written leaves that
              // connection idle in undici's pool (unref'd, closed after its 4 s keep-alive), and the
              // server's side of it open and waiting for a request. The servers drop their side of
              // every connection here, so what is checked is what the client side left.
              expect(await leftoverAfterDroppingIdle(before)).toEqual([]);
              await new Promise((resolve) => setImmediate(resolve));
              expect(rejections).toEqual([]);
            } finally {
              process.off('unhandledRejection', onRejection);
            }
          });
        }
});
