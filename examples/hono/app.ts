/**
 * switchyard in a Hono BFF: `GET /groups?q=` merges every instance's matches, `GET /groups/:id`
 * takes the first instance that has the group. Each call to an instance carries its own JWT and
 * `x-policy-hint`; the client's disconnect aborts the fan-out through `c.req.raw.signal`.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { createFanout, firstSuccess, httpStatusOf, isSwitchyardError, mergeAll, staticRouter } from 'switchyard';
import { httpWorker } from 'switchyard/http';
import { instanceHeaders, type Backend, type Viewer } from '../shared/credentials.js';

const Group = z.object({ id: z.string(), name: z.string(), instance: z.string() });
type Group = z.infer<typeof Group>;

/** The Hono app of the example: a BFF over `backends`, created once at startup. */
export function createApp(backends: readonly Backend[]): Hono<{ Variables: { viewer: Viewer } }> {
  const fanout = createFanout<unknown, Viewer>({
    router: staticRouter(backends.map(({ id, url }) => ({ id, url }))),
    principal: (viewer) => viewer.user,
    timeoutMs: 2_000,
    deadlineMs: 5_000,
  });
  const headers = (instance: Parameters<typeof instanceHeaders>[1], call: { context: Viewer }) => instanceHeaders(backends, instance, call.context);

  const searchGroups = fanout.operation({
    name: 'searchGroups',
    worker: httpWorker<Group[], { q: string }, Viewer>({
      path: (call) => `/groups?q=${encodeURIComponent(call.data.q)}`,
      headers,
      schema: z.array(Group),
    }),
    // 403 from an instance means "not this user's instance": mergeAll leaves it out.
    strategy: mergeAll(),
  });

  const getGroup = fanout.operation({
    name: 'getGroup',
    worker: httpWorker<Group, { id: string }, Viewer>({ path: (call) => `/groups/${encodeURIComponent(call.data.id)}`, headers, schema: Group }),
    strategy: firstSuccess(),
  });

  const app = new Hono<{ Variables: { viewer: Viewer } }>();
  app.use(async (c, next) => {
    const user = c.req.header('x-user');
    if (user === undefined || user === '') return c.json({ code: 'UNAUTHENTICATED' }, 401);
    c.set('viewer', { user });
    await next();
  });
  app.get('/groups', async (c) => c.json(await searchGroups({ q: c.req.query('q') ?? '' }, c.get('viewer'), { signal: c.req.raw.signal })));
  app.get('/groups/:id', async (c) => c.json(await getGroup({ id: c.req.param('id') }, c.get('viewer'), { signal: c.req.raw.signal })));
  // Clients get a code and a generic message, never upstream text; status from httpStatusOf.
  app.onError((error) => Response.json(isSwitchyardError(error) ? error.toJSON() : { code: 'INTERNAL' }, { status: httpStatusOf(error) }));
  return app;
}
