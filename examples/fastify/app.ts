/**
 * switchyard in a Fastify BFF: the same endpoints as the other examples, as a Fastify plugin
 * style app. `GET /groups?q=` merges every instance's matches, `GET /groups/:id` takes the first
 * instance that has the group; the fan-out stops when the client disconnects.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { createFanout, firstSuccess, httpStatusOf, isSwitchyardError, mergeAll, staticRouter } from 'switchyard';
import { httpWorker } from 'switchyard/http';
import { instanceHeaders, type Backend, type Viewer } from '../shared/credentials.js';

const Group = z.object({ id: z.string(), name: z.string(), instance: z.string() });
type Group = z.infer<typeof Group>;

/** An AbortSignal that aborts when the client goes away before the answer is sent. */
function signalOf(reply: FastifyReply): AbortSignal {
  const abort = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) abort.abort();
  });
  return abort.signal;
}

/** The Fastify app of the example: a BFF over `backends`, created once at startup. */
export function createApp(backends: readonly Backend[]): FastifyInstance {
  const fanout = createFanout<unknown, Viewer>({
    router: staticRouter(backends.map(({ id, url }) => ({ id, url }))),
    principal: (viewer) => viewer.user,
    timeoutMs: 2_000,
    deadlineMs: 5_000,
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
  });

  const app = Fastify();
  app.decorateRequest('viewer', null);
  app.addHook('onRequest', async (request, reply) => {
    const user = request.headers['x-user'];
    if (typeof user !== 'string' || user === '') return reply.code(401).send({ code: 'UNAUTHENTICATED' });
    (request as FastifyRequest & { viewer: Viewer }).viewer = { user };
  });
  const viewerOf = (request: FastifyRequest) => (request as FastifyRequest & { viewer: Viewer }).viewer;

  app.get<{ Querystring: { q?: string } }>('/groups', async (request, reply) =>
    searchGroups({ q: request.query.q ?? '' }, viewerOf(request), { signal: signalOf(reply) }),
  );
  app.get<{ Params: { id: string } }>('/groups/:id', async (request, reply) =>
    getGroup({ id: request.params.id }, viewerOf(request), { signal: signalOf(reply) }),
  );
  // Clients get a code and a generic message, never upstream text; status from httpStatusOf.
  app.setErrorHandler(async (error, _request, reply) => {
    if (isSwitchyardError(error)) return reply.code(httpStatusOf(error)).send(error.toJSON());
    return reply.code(500).send({ code: 'INTERNAL' });
  });
  return app;
}
