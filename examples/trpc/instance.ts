/**
 * An instance as a tRPC v11 server: `groups.search` and `groups.byId` over the same data as the
 * REST instances. It reads the BFF's per-instance JWT (`authorization`) and `x-policy-hint` from
 * the request headers and answers with TRPCError codes: UNAUTHORIZED, FORBIDDEN, NOT_FOUND.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { z } from 'zod';
import { answer, listen, type Group, type InstanceSeed, type Request, type RunningInstance } from '../shared/world.js';

interface InstanceContext {
  seed: InstanceSeed;
  token: string | undefined;
  policyHint: string | undefined;
}

// isDev: false keeps stacks out of error answers.
const t = initTRPC.context<InstanceContext>().create({ isDev: false });

const CODES = { 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND' } as const;

function decide(ctx: InstanceContext, request: Request): Group[] | Group {
  const result = answer(ctx.seed, ctx, request);
  if (result.status !== 200) throw new TRPCError({ code: CODES[result.status] });
  return result.body;
}

export const instanceRouter = t.router({
  groups: t.router({
    search: t.procedure.input(z.object({ q: z.string() })).query(({ ctx, input }) => decide(ctx, { kind: 'search', q: input.q }) as Group[]),
    byId: t.procedure.input(z.object({ id: z.string() })).query(({ ctx, input }) => decide(ctx, { kind: 'get', id: input.id }) as Group),
  }),
});

/** The instance's router type: what the BFF's tRPC clients are typed with. */
export type InstanceRouter = typeof instanceRouter;

/** Serves the instance router on 127.0.0.1 (an ephemeral port by default). */
export function startTrpcInstance(seed: InstanceSeed, port = 0): Promise<RunningInstance> {
  const server = createHTTPServer({
    router: instanceRouter,
    createContext: ({ req }) => {
      const hint = req.headers['x-policy-hint'];
      return {
        seed,
        token: /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1],
        policyHint: typeof hint === 'string' ? hint : undefined,
      };
    },
  });
  return listen(server, seed.id, port);
}
