import { expected, nonNegativeNumber, parseOptions, positiveInteger, ratio, v, type Schema } from '../_internal/validate.js';
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

/**
 * A way for a fake instance to misbehave. The in-process fakes (`fakeInstances`) and the HTTP
 * fakes (`startFakeHttpFleet`, `startFakeHttpInstance`) take the same faults; each fails the way
 * a real instance would through the real path:
 *
 * - `hang`: never answers; the call ends only by its timeout, the deadline or an abort.
 * - `reset`: the connection is reset after the latency (fetch: `TypeError: fetch failed`, cause `ECONNRESET`).
 * - `drip`: a 200 whose body arrives `chunkBytes` at a time, `intervalMs` apart.
 * - `malformed`: a 200 whose body is not valid JSON (`response.json()` throws a `SyntaxError`).
 * - `status`: any status with an optional body, and `Retry-After` when `retryAfterSeconds` is set
 *   (use it with 429 and 503). Statuses from 300 up are errors carrying `status`.
 */
export type FakeFault =
  | { fault: 'hang' }
  | { fault: 'reset' }
  | {
      fault: 'drip';
      /** @default 1 */
      chunkBytes?: number;
      /** @default 100 */
      intervalMs?: number;
    }
  | { fault: 'malformed' }
  | {
      fault: 'status';
      status: number;
      /** JSON-encoded unless a string. @default none */
      body?: unknown;
      /** Sent as `Retry-After: <seconds>`. @default none */
      retryAfterSeconds?: number;
    };

/** A fault that happens to a share of requests, drawn from the instance's seeded sequence. */
export type FakeFaultChance = FakeFault & {
  /** Share of requests in [0, 1]; the shares of one list add up to at most 1. */
  probability: number;
};

/** The request a fault plan decides for: which instance, and how many requests it had before. */
export interface FakeRequestInfo {
  instanceId: string;
  /** 0 for the instance's first request, 1 for its second, … */
  index: number;
}

/**
 * Which requests of an instance fail, and how: one fault for every request, a list of seeded
 * chances, or a function that picks per request (`undefined` answers normally).
 *
 * @example
 * { fault: 'hang' }
 * [{ fault: 'reset', probability: 0.05 }, { fault: 'status', status: 503, retryAfterSeconds: 1, probability: 0.1 }]
 * (request) => (request.index === 0 ? { fault: 'reset' } : undefined)
 */
export type FakeFaultPlan<Request extends FakeRequestInfo = FakeRequestInfo> =
  | FakeFault
  | readonly FakeFaultChance[]
  | ((request: Request) => FakeFault | undefined);

const faultKinds = ['hang', 'reset', 'drip', 'malformed', 'status'] as const;

const faultShapes = [
  v.object({ fault: v.literal('hang') }),
  v.object({ fault: v.literal('reset') }),
  v.object({ fault: v.literal('drip'), chunkBytes: positiveInteger.optional(), intervalMs: nonNegativeNumber.optional() }),
  v.object({ fault: v.literal('malformed') }),
  v.object({
    fault: v.literal('status'),
    status: expected<number>('an HTTP status from 200 to 599', (value) => Number.isInteger(value) && (value as number) >= 200 && (value as number) <= 599),
    body: v.unknown(),
    retryAfterSeconds: expected<number>('an integer >= 0', (value) => Number.isInteger(value) && (value as number) >= 0).optional(),
  }),
];
const faultError = `one of ${faultKinds.map((kind) => `'${kind}'`).join(', ')}`;
const faultSchema = v.discriminatedUnion('fault', faultShapes, { error: faultError }) as Schema<FakeFault>;
const chanceSchema = v.discriminatedUnion(
  'fault',
  faultShapes.map((shape) => shape.extend({ probability: ratio })),
  { error: faultError },
) as Schema<FakeFaultChance>;

/** `plan`, checked: throws INVALID_CONFIG naming the field (`fault.status`, `fault.1.probability` …). */
export function checkFaultPlan(plan: unknown, field: string): void {
  if (typeof plan === 'function' || plan === undefined) return;
  if (Array.isArray(plan)) {
    parseOptions(v.array(chanceSchema), plan, field);
    const total = (plan as FakeFaultChance[]).reduce((sum, chance) => sum + chance.probability, 0);
    if (total > 1 + 1e-9) parseOptions(expected('probabilities that sum to at most 1', () => false), plan, field);
    return;
  }
  parseOptions(faultSchema, plan, field);
}

/** A fault a plan function returned, checked like a configured one. */
export function checkFault(fault: unknown, field: string): FakeFault | undefined {
  if (fault === undefined) return undefined;
  return parseOptions(faultSchema, fault, field);
}

export const latencySchema = v.object({
  baseMs: nonNegativeNumber,
  jitterMs: nonNegativeNumber.optional(),
  slowProbability: ratio.optional(),
  slowExtraMs: nonNegativeNumber.optional(),
});

/** What one request draws: its latency, and a number in [0, 1) for a list of fault chances. */
export interface Draw {
  latencyMs: number;
  fault: number;
}

/**
 * One instance's seeded sequence. Every request takes the same three draws (jitter, slow, fault)
 * whatever happens to it, so one request's outcome never shifts the next one's, and the n-th
 * request of `fake-i` draws the same numbers in-process and over HTTP.
 */
export function instanceDraws(seed: number, stream: number, latency: FakeLatency): () => Draw {
  const random = seededRandom(deriveSeed(seed, stream));
  const { baseMs, jitterMs = 0, slowProbability = 0, slowExtraMs = 0 } = latency;
  return () => {
    const jitter = random();
    const slow = random();
    const fault = random();
    return { latencyMs: baseMs + jitter * jitterMs + (slow < slowProbability ? slowExtraMs : 0), fault };
  };
}

/** The fault `plan` gives this request (`draw` in [0, 1) picks among chances), or undefined. */
export function pickFault<Request extends FakeRequestInfo>(
  plan: FakeFaultPlan<Request> | undefined,
  request: Request,
  draw: number,
): FakeFault | undefined {
  if (plan === undefined) return undefined;
  if (typeof plan === 'function') return checkFault(plan(request), 'fault');
  if (!Array.isArray(plan)) return plan as FakeFault;
  let threshold = 0;
  for (const chance of plan as readonly FakeFaultChance[]) {
    threshold += chance.probability;
    if (draw < threshold) {
      const { probability: _probability, ...fault } = chance;
      return fault as FakeFault;
    }
  }
  return undefined;
}

/** How long a `drip` takes to send `bytes`: one interval before each chunk. */
export function dripMs(fault: Extract<FakeFault, { fault: 'drip' }>, bytes: number): number {
  const chunkBytes = fault.chunkBytes ?? 1;
  return Math.ceil(Math.max(bytes, 1) / chunkBytes) * (fault.intervalMs ?? 100);
}

/** A body that starts like the JSON of `value` and never parses. */
export function malformedJson(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  // `<` after any prefix of a JSON text is invalid, or sits in a string that never ends.
  return `${text.slice(0, Math.max(1, Math.floor(text.length / 2)))}<`;
}
