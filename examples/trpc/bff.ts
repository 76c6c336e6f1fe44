/**
 * switchyard in a tRPC BFF: the BFF's own procedures fan out to tRPC v11 instances through
 * `@trpc/client`. Each call carries that instance's JWT and `x-policy-hint`: the worker puts them
 * in the operation's `context`, and the instance's `httpLink` turns them into headers. The
 * instances' TRPCError codes become outcomes (FORBIDDEN → unauthorized, NOT_FOUND → not-found),
 * and the BFF's errors go back to its clients as TRPCErrors with a code and a generic message.
 */
import { createTRPCClient, httpLink, TRPCClientError, type TRPCClient } from '@trpc/client';
import { initTRPC, TRPCError } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import {
  createFanout,
  defaultClassify,
  firstSuccess,
  isSwitchyardError,
  mergeAll,
  staticRouter,
  type Classifier,
  type Instance,
  type SwitchyardErrorCode,
  type Worker,
} from 'switchyard';
import { instanceHeaders, type Backend, type Viewer } from '../shared/credentials.js';
import { listen, type RunningInstance } from '../shared/world.js';
import type { InstanceRouter } from './instance.js';

const Group = z.object({ id: z.string(), name: z.string(), instance: z.string() });
type Group = z.infer<typeof Group>;

/**
 * tRPC codes to outcomes. FORBIDDEN means "this instance is not for this user" and NOT_FOUND
 * "not here": neither is retried nor counts against a breaker. UNAUTHORIZED means the instance
 * refused the BFF's own credential: an error, not retried with the same token.
 */
export const trpcClassify: Classifier = (input) => {
  if (input.error instanceof TRPCClientError) {
    const code = (input.error.data as { code?: unknown } | undefined)?.code;
    if (code === 'FORBIDDEN') return { status: 'unauthorized', retryable: false };
    if (code === 'NOT_FOUND') return { status: 'not-found', retryable: false };
    if (code === 'UNAUTHORIZED' || code === 'BAD_REQUEST') return { status: 'error', retryable: false };
  }
  return defaultClassify(input);
};

/** Which TRPCError code a BFF client gets for each switchyard error. */
const TO_TRPC: Partial<Record<SwitchyardErrorCode, TRPCError['code']>> = {
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  DEADLINE_EXCEEDED: 'TIMEOUT',
  ABORTED: 'CLIENT_CLOSED_REQUEST',
  INVALID_INPUT: 'BAD_REQUEST',
};

/** The BFF's tRPC router: its procedures fan out to the tRPC instances in `backends`. */
export function createBffRouter(backends: readonly Backend[]) {
  // One client per instance; the link reads each operation's headers from its context.
  const clients = new Map<string, TRPCClient<InstanceRouter>>(
    backends.map((backend) => [
      backend.id,
      createTRPCClient<InstanceRouter>({
        links: [httpLink({ url: backend.url, headers: ({ op }) => (op.context['headers'] ?? {}) as Record<string, string> })],
      }),
    ]),
  );
  const clientOf = (instance: Instance) => {
    const client = clients.get(instance.id);
    if (client === undefined) throw new Error(`No tRPC client for instance "${instance.id}"`);
    return client;
  };

  const fanout = createFanout<unknown, Viewer>({
    router: staticRouter(backends.map(({ id, url }) => ({ id, url }))),
    principal: (viewer) => viewer.user,
    classify: trpcClassify,
    timeoutMs: 2_000,
    deadlineMs: 5_000,
  });

  const search: Worker<Group[], { q: string }, Viewer> = async (instance, call) =>
    z.array(Group).parse(
      await clientOf(instance).groups.search.query(call.data, {
        context: { headers: instanceHeaders(backends, instance, call.context) },
        signal: call.signal,
      }),
    );
  const byId: Worker<Group, { id: string }, Viewer> = async (instance, call) =>
    Group.parse(
      await clientOf(instance).groups.byId.query(call.data, {
        context: { headers: instanceHeaders(backends, instance, call.context) },
        signal: call.signal,
      }),
    );

  const searchGroups = fanout.operation({ name: 'searchGroups', worker: search, strategy: mergeAll() });
  const getGroup = fanout.operation({ name: 'getGroup', worker: byId, strategy: firstSuccess() });

  const t = initTRPC.context<{ viewer: Viewer | undefined }>().create({ isDev: false });
  const authed = t.procedure.use(({ ctx, next }) => {
    if (ctx.viewer === undefined) throw new TRPCError({ code: 'UNAUTHORIZED' });
    return next({ ctx: { viewer: ctx.viewer } });
  });
  /** Runs a fan-out and turns its errors into TRPCErrors clients may see. */
  const toClient = async <R>(run: () => Promise<R>): Promise<R> => {
    try {
      return await run();
    } catch (error) {
      if (!isSwitchyardError(error)) throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR' });
      throw new TRPCError({ code: TO_TRPC[error.code] ?? 'BAD_GATEWAY', message: error.message });
    }
  };

  return t.router({
    groups: t.router({
      search: authed.input(z.object({ q: z.string() })).query(({ ctx, input, signal }) => toClient(() => searchGroups(input, ctx.viewer, { signal }))),
      byId: authed.input(z.object({ id: z.string() })).query(({ ctx, input, signal }) => toClient(() => getGroup(input, ctx.viewer, { signal }))),
    }),
  });
}

/** The BFF's router type, for its own clients (a browser app's `createTRPCClient<BffRouter>`). */
export type BffRouter = ReturnType<typeof createBffRouter>;

/** Serves the BFF router on 127.0.0.1; the viewer comes from `x-user` (a real BFF reads its session). */
export function startBff(backends: readonly Backend[], port = 0): Promise<RunningInstance> {
  const server = createHTTPServer({
    router: createBffRouter(backends),
    createContext: ({ req }: { req: IncomingMessage }) => {
      const user = req.headers['x-user'];
      return { viewer: typeof user === 'string' && user !== '' ? { user } : undefined };
    },
  });
  return listen(server, 'bff', port);
}
