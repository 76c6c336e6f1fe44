import {
  createFanout,
  firstSuccess,
  lookupRouter,
  mergeAll,
  partialWithWarnings,
  requireInstance,
  type Fanout,
  type FinishState,
  type Instance,
  type Worker,
} from '../../src/index.js';
import { z } from 'zod';
import {
  httpWorker,
  isHttpStatusError,
  isUpstreamNetworkError,
  type FetchLike,
  type StandardSchemaV1,
} from '../../src/http/index.js';
import type { DemoInstance } from './instances.js';
import { scaled } from './timeScale.js';

/**
 * The BFF (the seeds' hub): it knows, per user, which instances to call (a federation table read
 * through `lookupRouter`'s per-user cache), holds the per-instance tokens and policy hints it got at
 * login, and calls each instance over HTTP with `httpWorker` from switchyard/http, which validates
 * each answer with a zod schema and throws classified, redacted errors (403 → unauthorized, 404 →
 * not-found, 5xx/network → retryable error).
 */

/** What the BFF knows about the caller, per request. */
export interface DemoContext {
  user: string;
  /** Faults the demo script injects, per instance id, sent as `x-demo-fault` (e.g. `delay=600`). */
  faults?: Readonly<Record<string, string>>;
  /** Filled by the worker: what every attempt saw on the wire. */
  trace?: Trace;
}

export interface DemoData {
  q?: string;
  id?: string;
}

/** One HTTP attempt as the worker saw it (the call's report cannot know HTTP codes). */
export interface TracedAttempt {
  instanceId: string;
  startMs: number;
  endMs: number | undefined;
  /** The HTTP status, or what happened instead. */
  result: number | 'refused' | 'closed' | 'aborted' | 'timeout' | undefined;
}

export interface Trace {
  startedAt: number;
  attempts: TracedAttempt[];
}

export const newTrace = (): Trace => ({ startedAt: Date.now(), attempts: [] });

export interface Session {
  /** Short-lived per-instance tokens the hub issued at login. */
  tokens: Record<string, string>;
  /** Per-instance policy hints from the policy snapshot. */
  hints: Record<string, string>;
}

/** The HTTP status each attempt got, keyed by the attempt's own signal (one per attempt). */
const statusOf = new WeakMap<AbortSignal, number>();
const recordingFetch: FetchLike = async (input, init) => {
  const response = await fetch(input, init);
  if (init?.signal) statusOf.set(init.signal, response.status);
  return response;
};

function failureOf(error: unknown, signal: AbortSignal): TracedAttempt['result'] {
  if (isHttpStatusError(error)) return error.status;
  if (signal.aborted) return (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError' ? 'timeout' : 'aborted';
  if (isUpstreamNetworkError(error)) {
    // Refused: nothing listens. Closed: a kept-alive connection the instance dropped (it stopped).
    return (error.cause as { cause?: { code?: unknown } } | undefined)?.cause?.code === 'ECONNREFUSED' ? 'refused' : 'closed';
  }
  return undefined;
}

/**
 * A worker for one BFF endpoint: switchyard/http's `httpWorker` with the caller's per-instance
 * token and policy hint (and the demo's fault header), wrapped to trace what each attempt saw.
 */
export function getJson<T>(
  sessions: Map<string, Session>,
  path: (data: DemoData) => string,
  schema: StandardSchemaV1<unknown, T>,
): Worker<T, DemoData, DemoContext> {
  const worker = httpWorker<T, DemoData, DemoContext>({
    path: (call) => path(call.data),
    schema,
    fetch: recordingFetch,
    headers: (instance, call) => {
      const session = sessions.get(call.context.user);
      const headers: Record<string, string> = {};
      const token = session?.tokens[instance.id];
      const hint = session?.hints[instance.id];
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      if (hint !== undefined) headers['x-policy-hint'] = hint;
      const fault = call.context.faults?.[instance.id];
      if (fault !== undefined) headers['x-demo-fault'] = fault;
      return headers;
    },
  });
  return async (instance, call) => {
    const trace = call.context.trace;
    if (trace === undefined) return worker(instance, call);
    const traced: TracedAttempt = { instanceId: instance.id, startMs: Date.now() - trace.startedAt, endMs: undefined, result: undefined };
    trace.attempts.push(traced);
    try {
      const value = await worker(instance, call);
      traced.result = statusOf.get(call.signal);
      return value;
    } catch (error) {
      traced.result = failureOf(error, call.signal);
      throw error;
    } finally {
      traced.endMs = Date.now() - trace.startedAt;
    }
  };
}

const groupSchema = z.object({ id: z.string(), name: z.string(), scope: z.string(), members: z.number(), instance: z.string() });
const tileSchema = z.object({ instance: z.string(), groups: z.number(), members: z.number() });
const profileSchema = z.object({
  instance: z.string(),
  user: z.string(),
  name: z.string().optional(),
  email: z.string().optional(),
  groups: z.array(z.string()),
});

export type SearchHit = z.infer<typeof groupSchema>;
export type DashboardTile = z.infer<typeof tileSchema>;
export type ProfilePart = z.infer<typeof profileSchema>;

/**
 * The BFF's settings, chosen so the demo's slow instance (600 ms) is slower than its timeout; all
 * of them scale with `SWITCHYARD_DEMO_TIME_SCALE` (see timeScale.ts).
 */
export const BFF_POLICY = {
  timeoutMs: scaled(300),
  deadlineMs: scaled(2_000),
  retry: { maxAttempts: 2, baseDelayMs: scaled(50) },
} as const;

export interface Bff {
  fanout: Fanout<DemoData, DemoContext>;
  sessions: Map<string, Session>;
  /** The workers and strategies of the BFF's endpoints. */
  ops: ReturnType<typeof operations>;
}

function operations(sessions: Map<string, Session>) {
  return {
    search: {
      operation: 'searchGroups',
      worker: getJson(sessions, (d) => `/groups?q=${encodeURIComponent(d.q ?? '')}`, z.array(groupSchema)),
      strategy: mergeAll(),
    },
    getGroup: {
      operation: 'getGroup',
      worker: getJson(sessions, (d) => `/groups/${encodeURIComponent(d.id ?? '')}`, groupSchema),
      strategy: firstSuccess(),
    },
    dashboard: {
      operation: 'dashboard',
      worker: getJson(sessions, () => '/dashboard', z.array(tileSchema)),
      strategy: partialWithWarnings(),
    },
    profile: {
      operation: 'profile',
      worker: getJson(sessions, () => '/profile', z.array(profileSchema)),
      strategy: requireInstance('cloud', mergeAll()),
    },
  };
}

/**
 * Builds the BFF over running instances. `alice` is logged in: she is routed to all three
 * instances, with a token and a policy hint for each.
 */
export function createBff(instances: readonly DemoInstance[], hooks: { finish?: (state: FinishState) => void } = {}): Bff {
  const registry: Instance[] = instances.map((i) => ({ id: i.id, url: i.url }));
  const federation = new Map<string, string[]>([['alice', instances.map((i) => i.id)]]);
  const policySnapshot: Record<string, Record<string, string>> = {
    alice: { cloud: 'GROUP_VIEW', 'enterprise-acme': 'GOD in engineering', 'enterprise-conf': 'VIEW in events' },
  };
  const sessions = new Map<string, Session>();
  for (const [user, ids] of federation) {
    sessions.set(user, {
      tokens: Object.fromEntries(instances.filter((i) => ids.includes(i.id)).map((i) => [i.id, i.tokenFor(user)])),
      hints: policySnapshot[user] ?? {},
    });
  }

  const router = lookupRouter<DemoData, DemoContext>({
    lookup: ({ context }) => {
      const ids = federation.get(context.user) ?? [];
      return registry.filter((instance) => ids.includes(instance.id));
    },
    cache: { key: ({ context }) => context.user, ttlMs: 60_000 },
  });

  const fanout = createFanout<DemoData, DemoContext>({
    router,
    ...BFF_POLICY,
    principal: (context) => context.user,
    on: hooks.finish === undefined ? {} : { finish: hooks.finish },
  });
  return { fanout, sessions, ops: operations(sessions) };
}
