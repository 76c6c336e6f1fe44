import { SwitchyardError } from '../errors/SwitchyardError.js';
import { systemClock, type Clock } from '../_internal/clock.js';
import { expected, fn, nonNegativeNumber, parseOptions, positiveInteger, ratio, v } from '../_internal/validate.js';
import type { Worker, WorkerCall } from '../execute/types.js';
import type { Instance } from '../router/types.js';
import { deriveSeed, seededRandom } from './seededRandom.js';

/** How long a fake instance takes to answer. */
export interface FakeLatency {
  /** Every call takes at least this. */
  baseMs: number;
  /** Plus a uniform extra in [0, jitterMs). @default 0 */
  jitterMs?: number;
  /** Share of calls that are slow (the tail). @default 0 */
  slowProbability?: number;
  /** What a slow call adds. @default 0 */
  slowExtraMs?: number;
}

export interface FakeInstancesOptions<T> {
  /** Instances to create, with ids `fake-0` … `fake-{count-1}`. */
  count: number;
  /** The same seed gives every instance the same latencies and faults, call by call. */
  seed: number;
  latency: FakeLatency;
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
 * The error a fake instance fails with: it carries `status` like an HTTP client error would, and
 * code `UPSTREAM_STATUS` like `switchyard/http`'s `HttpStatusError`.
 */
export class FakeInstanceError extends SwitchyardError {
  override readonly name = 'FakeInstanceError';
  declare readonly code: 'UPSTREAM_STATUS';
  constructor(
    readonly status: number,
    instanceId: string,
  ) {
    super('UPSTREAM_STATUS', `Fake instance ${instanceId} answered ${status}`);
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
    latency: v
      .object({
        baseMs: nonNegativeNumber,
        jitterMs: nonNegativeNumber.optional(),
        slowProbability: ratio.optional(),
        slowExtraMs: nonNegativeNumber.optional(),
      }),
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
  const clock = options.clock ?? systemClock;
  const { baseMs, jitterMs = 0, slowProbability = 0, slowExtraMs = 0 } = options.latency;
  const failureProbability = options.failureProbability ?? 0;
  const statuses = Object.entries(options.statuses ?? {})
    .map(([status, probability]) => ({ status: Number(status), probability }))
    .sort((x, y) => x.status - y.status);
  const faultTotal = statuses.reduce((sum, s) => sum + s.probability, failureProbability);
  if (faultTotal > 1 + 1e-9) {
    parseOptions(expected('probabilities that sum to at most 1 with `failureProbability`', () => false), options.statuses, 'statuses');
  }
  const respond = options.respond ?? ((instance: Instance, call: WorkerCall<unknown, unknown>, latencyMs: number) => ({ instanceId: instance.id, latencyMs, attempt: call.attempt, hedge: call.hedge }) as T);

  const instances: Instance[] = Array.from({ length: options.count }, (_, index) => ({ id: `fake-${index}` }));
  const streams = new Map(instances.map((instance, index) => [instance.id, seededRandom(deriveSeed(options.seed, index))]));
  const stats: FakeStats = { calls: 0, succeeded: 0, failed: 0, aborted: 0 };

  /** Three draws per call, always, so one call's outcome never shifts the next call's draws. */
  const plan = (instanceId: string): { latencyMs: number; status: number | undefined } => {
    const random = streams.get(instanceId);
    if (random === undefined) throw new Error(`fakeInstances: unknown instance "${instanceId}"`);
    const jitter = random();
    const slow = random();
    const fault = random();
    const latencyMs = baseMs + jitter * jitterMs + (slow < slowProbability ? slowExtraMs : 0);
    if (fault < failureProbability) return { latencyMs, status: 500 };
    let threshold = failureProbability;
    for (const { status, probability } of statuses) {
      threshold += probability;
      if (fault < threshold) return { latencyMs, status };
    }
    return { latencyMs, status: undefined };
  };

  const worker: Worker<T> = (instance, call) => {
    const { signal } = call;
    const { latencyMs, status } = plan(instance.id);
    stats.calls += 1;
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) {
        stats.aborted += 1;
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        clock.clearTimeout(timer);
        stats.aborted += 1;
        reject(signal.reason);
      };
      const timer = clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        if (status !== undefined) {
          stats.failed += 1;
          reject(new FakeInstanceError(status, instance.id));
          return;
        }
        try {
          const value = respond(instance, call, latencyMs);
          stats.succeeded += 1;
          resolve(value);
        } catch (error) {
          stats.failed += 1;
          reject(error);
        }
      }, latencyMs);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  };

  return { instances, worker, stats: () => ({ ...stats }) };
}
