import { SwitchyardError } from '../errors/SwitchyardError.js';
import { systemClock, type Clock } from '../_internal/clock.js';
import { expected, fn, parseOptions, positiveInteger, ratio, v } from '../_internal/validate.js';
import type { Worker, WorkerCall } from '../execute/types.js';
import type { Instance } from '../router/types.js';
import {
  checkFaultPlan,
  dripMs,
  instanceDraws,
  latencySchema,
  pickFault,
  type FakeFault,
  type FakeFaultChance,
  type FakeFaultPlan,
  type FakeLatency,
  type FakeRequestInfo,
} from './faults.js';

export type { FakeLatency } from './faults.js';

/** A call to an in-process fake instance, as a fault plan function sees it. */
export interface FakeCall extends FakeRequestInfo {
  call: WorkerCall<unknown, unknown>;
}

export interface FakeInstancesOptions<T> {
  /** Instances to create, with ids `fake-0` … `fake-{count-1}`. */
  count: number;
  /** The same seed gives every instance the same latencies and faults, call by call. */
  seed: number;
  latency: FakeLatency;
  /**
   * How calls fail, with the same faults as the HTTP fakes: `hang`, `reset`, `drip`, `malformed`,
   * `status`. A list of chances shares its draw with `failureProbability` and `statuses`; a call
   * the plan leaves alone can still draw one of those. @default none
   */
  fault?: FakeFaultPlan<FakeCall>;
  /** Share of calls that fail after their latency with a status-500 `FakeInstanceError`. @default 0 */
  failureProbability?: number;
  /**
   * Share of calls that fail with a given HTTP status, e.g. `{ 403: 0.05, 404: 0.01 }`, so a
   * fan-out sees unauthorized and not-found outcomes too. @default {}
   */
  statuses?: Readonly<Record<number, number>>;
  /** What a successful call resolves to. @default a `FakeResult` */
  respond?: (instance: Instance, call: WorkerCall<unknown, unknown>, latencyMs: number) => T;
  /** Timers come from here: pass a manual clock to simulate time. @default the system clock */
  clock?: Clock;
}

/** What a fake instance answers by default. */
export interface FakeResult {
  instanceId: string;
  latencyMs: number;
  attempt: number;
  hedge: boolean;
}

/**
 * The error a fake instance fails with: it carries `status` (and `retryAfterMs` for a `status`
 * fault with `retryAfterSeconds`) like an HTTP client error would, and code `UPSTREAM_STATUS` like
 * `switchyard/http`'s `HttpStatusError`.
 */
export class FakeInstanceError extends SwitchyardError {
  override readonly name = 'FakeInstanceError';
  declare readonly code: 'UPSTREAM_STATUS';
  /** The delay the instance asked for (Retry-After), in ms. */
  readonly retryAfterMs?: number;
  constructor(
    readonly status: number,
    instanceId: string,
    retryAfterMs?: number,
  ) {
    super('UPSTREAM_STATUS', `Fake instance ${instanceId} answered ${status}`);
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
  }
}

/** Counts of what the fake instances were asked to do. */
export interface FakeStats {
  /** Calls started (first attempts, retries and hedges). */
  calls: number;
  succeeded: number;
  failed: number;
  /** Calls whose signal aborted before they answered. */
  aborted: number;
}

export interface FakeInstances<T> {
  instances: Instance[];
  worker: Worker<T>;
  stats(): FakeStats;
}

const schema = v
  .object({
    count: positiveInteger,
    seed: expected<number>('an integer', (v) => Number.isInteger(v)),
    latency: latencySchema,
    fault: v.unknown(),
    failureProbability: ratio.optional(),
    statuses: v.record(expected<string>('an HTTP status code', (v) => typeof v === 'string' && /^[1-5]\d\d$/.test(v)), ratio).optional(),
    respond: fn<(...args: never[]) => unknown>().optional(),
    clock: expected<Clock>('a Clock ({ now, setTimeout, clearTimeout })', (v) => typeof v === 'object' && v !== null && typeof (v as Clock).setTimeout === 'function').optional(),
  });

/**
 * Creates seeded fake instances and a worker that answers for them after a random latency, with
 * injected slow calls and failures, so fan-outs, hedging and breakers can be tested and
 * benchmarked without a network.
 *
 * Each instance draws from its own seeded sequence, so its n-th call behaves the same in every
 * run whatever the order of calls. The worker honours `call.signal`: on abort it clears its timer
 * and rejects with the signal's reason, as `fetch` does.
 *
 * @example
 * const { instances, worker } = fakeInstances({ count: 100, seed: 1, latency: { baseMs: 10, slowProbability: 0.01, slowExtraMs: 1_000 } });
 * const responses = await fanOutTo(instances, worker, { timeoutMs: 2_000 });
 */
export function fakeInstances<T = FakeResult>(options: FakeInstancesOptions<T>): FakeInstances<T> {
  parseOptions(schema, options);
  checkFaultPlan(options.fault, 'fault');
  const clock = options.clock ?? systemClock;
  const failureProbability = options.failureProbability ?? 0;
  const statuses = Object.entries(options.statuses ?? {})
    .map(([status, probability]) => ({ status: Number(status), probability }))
    .sort((x, y) => x.status - y.status);
  const plan = options.fault;
  const chances = Array.isArray(plan) ? (plan as readonly FakeFaultChance[]).reduce((sum, chance) => sum + chance.probability, 0) : 0;
  const faultTotal = statuses.reduce((sum, s) => sum + s.probability, chances + failureProbability);
  if (faultTotal > 1 + 1e-9) {
    const field = Array.isArray(plan) ? '`fault` chances, `failureProbability` and `statuses`' : '`failureProbability`';
    parseOptions(expected(`probabilities that sum to at most 1 with ${field}`, () => false), options.statuses, 'statuses');
  }
  const respond = options.respond ?? ((instance: Instance, call: WorkerCall<unknown, unknown>, latencyMs: number) => ({ instanceId: instance.id, latencyMs, attempt: call.attempt, hedge: call.hedge }) as T);

  const instances: Instance[] = Array.from({ length: options.count }, (_, index) => ({ id: `fake-${index}` }));
  const streams = new Map(instances.map((instance, index) => [instance.id, { draw: instanceDraws(options.seed, index, options.latency), calls: 0 }]));
  const stats: FakeStats = { calls: 0, succeeded: 0, failed: 0, aborted: 0 };

  /** The call's latency and fault: the plan's first, then `failureProbability` and `statuses` on the same draw. */
  const planCall = (instanceId: string, call: WorkerCall<unknown, unknown>): { latencyMs: number; fault: FakeFault | undefined } => {
    const stream = streams.get(instanceId);
    if (stream === undefined) throw new Error(`fakeInstances: unknown instance "${instanceId}"`);
    const { latencyMs, fault: draw } = stream.draw();
    const index = stream.calls;
    stream.calls += 1;
    const fault = pickFault(plan, { instanceId, index, call }, draw);
    if (fault !== undefined) return { latencyMs, fault };
    let threshold = chances + failureProbability;
    if (draw >= chances && draw < threshold) return { latencyMs, fault: { fault: 'status', status: 500 } };
    for (const { status, probability } of statuses) {
      threshold += probability;
      if (draw < threshold) return { latencyMs, fault: { fault: 'status', status } };
    }
    return { latencyMs, fault: undefined };
  };

  const worker: Worker<T> = (instance, call) => {
    const { signal } = call;
    const { latencyMs, fault } = planCall(instance.id, call);
    stats.calls += 1;
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) {
        stats.aborted += 1;
        reject(signal.reason);
        return;
      }
      let timer: unknown;
      const onAbort = () => {
        if (timer !== undefined) clock.clearTimeout(timer);
        stats.aborted += 1;
        reject(signal.reason);
      };
      const fail = (error: unknown) => {
        stats.failed += 1;
        reject(error);
      };
      const settle = (value: () => T) => {
        try {
          const result = value();
          stats.succeeded += 1;
          resolve(result);
        } catch (error) {
          fail(error);
        }
      };
      const after = (ms: number, then: () => void) => {
        timer = clock.setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          then();
        }, ms);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      switch (fault?.fault) {
        case undefined:
          return after(latencyMs, () => settle(() => respond(instance, call, latencyMs)));
        case 'hang':
          return;
        case 'reset':
          return after(latencyMs, () => fail(networkError('ECONNRESET')));
        case 'malformed':
          // What `response.json()` throws on a body that is not JSON.
          return after(latencyMs, () => fail(new SyntaxError('Unexpected token < in JSON')));
        case 'drip': {
          let value: T;
          try {
            value = respond(instance, call, latencyMs);
          } catch (error) {
            return after(latencyMs, () => fail(error));
          }
          const bytes = new TextEncoder().encode(JSON.stringify(value) ?? '').byteLength;
          return after(latencyMs + dripMs(fault, bytes), () => settle(() => value));
        }
        case 'status': {
          const { status, body, retryAfterSeconds } = fault;
          if (status < 300) return after(latencyMs, () => settle(() => (body === undefined ? respond(instance, call, latencyMs) : (body as T))));
          const retryAfterMs = retryAfterSeconds === undefined ? undefined : retryAfterSeconds * 1_000;
          return after(latencyMs, () => fail(new FakeInstanceError(status, instance.id, retryAfterMs)));
        }
      }
    });
  };

  return { instances, worker, stats: () => ({ ...stats }) };
}

/** What fetch throws when a connection breaks: a `TypeError` with the network error on `cause`. */
function networkError(code: string): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });
}
