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
import type { DemoInstance, Group } from './instances.js';

/**
 * The BFF (the seeds' hub): it knows, per user, which instances to call (a federation table read
 * through `lookupRouter`'s per-user cache), holds the per-instance tokens and policy hints it got at
 * login, and calls each instance over HTTP with a fetch worker.
 *
 * Note: `switchyard/http` will ship `httpWorker`, a hardened version of `getJson` below (path
 * safety, body limits, schema validation, Retry-After dates). It was not exported yet when this demo
 * was written, so the demo keeps its own twenty-line worker; swap it in when it lands.
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

/** A non-2xx answer: `status` is what switchyard's classifier reads (403 → unauthorized, 404 → not-found). */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(`Upstream answered HTTP ${status}`);
  }
}

export interface Session {
  /** Short-lived per-instance tokens the hub issued at login. */
  tokens: Record<string, string>;
  /** Per-instance policy hints from the policy snapshot. */
  hints: Record<string, string>;
}

function networkCause(error: unknown): TracedAttempt['result'] {
  const code = (error as { cause?: { code?: unknown } })?.cause?.code;
  if (code === 'ECONNREFUSED') return 'refused';
  // A kept-alive connection that the instance dropped (it crashed or was stopped).
  return 'closed';
}

/** A small fetch worker: GETs `path` from the instance with its token and policy hint, returns the JSON. */
export function getJson<T>(sessions: Map<string, Session>, path: (data: DemoData) => string): Worker<T, DemoData, DemoContext> {
  return async (instance, call) => {
    const session = sessions.get(call.context.user);
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = session?.tokens[instance.id];
    const hint = session?.hints[instance.id];
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (hint !== undefined) headers['x-policy-hint'] = hint;
    const fault = call.context.faults?.[instance.id];
    if (fault !== undefined) headers['x-demo-fault'] = fault;

    const trace = call.context.trace;
    const traced: TracedAttempt = { instanceId: instance.id, startMs: 0, endMs: undefined, result: undefined };
    if (trace !== undefined) {
      traced.startMs = Date.now() - trace.startedAt;
      trace.attempts.push(traced);
    }
    const done = (result: TracedAttempt['result']) => {
      if (trace !== undefined) traced.endMs = Date.now() - trace.startedAt;
      traced.result = result;
    };

    let response: Response;
    try {
      response = await fetch(new URL(path(call.data), instance.url), { headers, signal: call.signal });
    } catch (error) {
      const reason = call.signal.reason as { name?: string } | undefined;
      done(call.signal.aborted ? (reason?.name === 'TimeoutError' ? 'timeout' : 'aborted') : networkCause(error));
      throw error;
    }
    done(response.status);
    if (!response.ok) {
      await response.body?.cancel();
      const retryAfter = Number(response.headers.get('retry-after'));
      throw new HttpError(response.status, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
    }
    return (await response.json()) as T;
  };
}

export interface DashboardTile {
  instance: string;
  groups: number;
  members: number;
}

export interface ProfilePart {
  instance: string;
  user: string;
  name?: string;
  email?: string;
  groups: string[];
}

export type SearchHit = Group & { instance: string };

/** The BFF's settings, chosen so the demo's slow instance (600 ms) is slower than its timeout. */
export const BFF_POLICY = {
  timeoutMs: 300,
  deadlineMs: 2_000,
  retry: { maxAttempts: 2, baseDelayMs: 50 },
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
      worker: getJson<SearchHit[]>(sessions, (d) => `/groups?q=${encodeURIComponent(d.q ?? '')}`),
      strategy: mergeAll(),
    },
    getGroup: {
      operation: 'getGroup',
      worker: getJson<SearchHit>(sessions, (d) => `/groups/${encodeURIComponent(d.id ?? '')}`),
      strategy: firstSuccess(),
    },
    dashboard: {
      operation: 'dashboard',
      worker: getJson<DashboardTile[]>(sessions, () => '/dashboard'),
      strategy: partialWithWarnings(),
    },
    profile: {
      operation: 'profile',
      worker: getJson<ProfilePart[]>(sessions, () => '/profile'),
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
