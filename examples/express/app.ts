/**
 * switchyard in an Express BFF: `GET /groups?q=` merges every instance's matches (identical
 * searches by the same user share one fan-out and a 30 s cached result), `GET /groups/:id` takes
 * the first instance that has the group, and `/api/*` is proxied to the first instance.
 *
 * Errors reach the client as `error.toJSON()` (code, message, instance ids): never upstream text.
 */
import express, { type Express, type Response } from 'express';
import { z } from 'zod';
import { createFanout, firstSuccess, httpStatusOf, isSwitchyardError, mergeAll, staticRouter } from 'switchyard';
import { createProxy, httpWorker } from 'switchyard/http';
import { toNodeHandler } from 'switchyard/node';
import { instanceHeaders, type Backend, type Viewer } from '../shared/credentials.js';

const Group = z.object({ id: z.string(), name: z.string(), instance: z.string() });
type Group = z.infer<typeof Group>;

/** Aborts when the client goes away before the answer is sent. */
function signalOf(res: Response): AbortSignal {
  const abort = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  return abort.signal;
}

/** The Express app of the example: a BFF over `backends`, created once at startup. */
export function createApp(backends: readonly Backend[]): Express {
  const fanout = createFanout<unknown, Viewer>({
    router: staticRouter(backends.map(({ id, url }) => ({ id, url }))),
    principal: (viewer) => viewer.user,
    timeoutMs: 2_000,
    deadlineMs: 5_000,
    dedup: { ttlMs: 30_000 },
  });
  const headers = (instance: Parameters<typeof instanceHeaders>[1], call: { context: Viewer }) => instanceHeaders(backends, instance, call.context);

  const searchGroups = fanout.operation({
    name: 'searchGroups',
    worker: httpWorker<Group[], { q: string }, Viewer>({ path: (call) => `/groups?q=${encodeURIComponent(call.data.q)}`, headers, schema: z.array(Group) }),
    strategy: mergeAll(),
  });
  const getGroup = fanout.operation({
    name: 'getGroup',
    worker: httpWorker<Group, { id: string }, Viewer>({ path: (call) => `/groups/${encodeURIComponent(call.data.id)}`, headers, schema: Group }),
    strategy: firstSuccess(),
    dedup: false,
  });

  const app = express();
  // Everything under /api goes to the first instance through the streaming proxy.
  const first = backends[0];
  if (first !== undefined) app.use('/api', toNodeHandler(createProxy({ target: first.url, name: first.id, timeoutMs: 10_000 })));

  app.use((req, res, next) => {
    const user = req.header('x-user'); // a real BFF reads its session here
    if (user === undefined || user === '') {
      res.status(401).json({ code: 'UNAUTHENTICATED' });
      return;
    }
    res.locals['viewer'] = { user } satisfies Viewer;
    next();
  });
  app.get('/groups', async (req, res) => {
    res.json(await searchGroups({ q: String(req.query['q'] ?? '') }, res.locals['viewer'] as Viewer, { signal: signalOf(res) }));
  });
  app.get('/groups/:id', async (req, res) => {
    res.json(await getGroup({ id: req.params.id }, res.locals['viewer'] as Viewer, { signal: signalOf(res) }));
  });
  // Express 5 passes rejected async handlers here.
  app.use((error: unknown, _req: express.Request, res: Response, _next: express.NextFunction) => {
    res.status(httpStatusOf(error)).json(isSwitchyardError(error) ? error.toJSON() : { code: 'INTERNAL' });
  });
  return app;
}
