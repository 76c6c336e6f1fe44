/**
 * Server functions of the example. Each one's middleware runs the fan-out on the server and hands
 * the categorised responses on in `context`; the handler only picks how to combine them.
 *
 * A server function's handler gets no abort signal, so the middleware takes the request's own
 * (`getRequest().signal`): when the client goes away, the calls to the instances stop with it.
 */
import { createMiddleware, createServerFn } from '@tanstack/react-start';
import { getRequest } from '@tanstack/react-start/server';
import { firstSuccess, partialWithWarnings, type PartialResult } from 'switchyard';
import type { Viewer } from '../../shared/credentials.js';
import { forClient } from './errors.js';
import { fanout, getWorker, searchWorker, type Group } from './fanout.js';

/** Who the request acts for. The example reads `x-user`; a real BFF reads its session here. */
function viewerOf(request: Request): Viewer {
  const user = request.headers.get('x-user');
  if (user === null || user === '') throw Response.json({ code: 'UNAUTHENTICATED' }, { status: 401 });
  return { user };
}

const searchFanout = createMiddleware({ type: 'function' })
  .validator((input: { q: string }) => ({ q: String(input.q) }))
  .server(async ({ data, next }) => {
    const request = getRequest();
    const context = viewerOf(request);
    const responses = await forClient(() => fanout.collect({ operation: 'searchGroups', data, context, worker: searchWorker, signal: request.signal }));
    return next({ context: { responses } });
  });

const getFanout = createMiddleware({ type: 'function' })
  .validator((input: { id: string }) => ({ id: String(input.id) }))
  .server(async ({ data, next }) => {
    const request = getRequest();
    const context = viewerOf(request);
    const responses = await forClient(() => fanout.collect({ operation: 'getGroup', data, context, worker: getWorker, signal: request.signal }));
    return next({ context: { responses } });
  });

/**
 * Every match the user may see, with a warning per instance that could not answer (down, timed
 * out, refused the BFF's credential). Instances that answer 403 are not the user's: left out.
 */
export const searchGroups = createServerFn({ method: 'GET' })
  .middleware([searchFanout])
  .handler(({ context }) => forClient(() => partialWithWarnings().combine(context.responses) as PartialResult<Group>));

/** The group from the first instance that has it; a 404 NOT_FOUND or 403 FORBIDDEN response otherwise. */
export const getGroup = createServerFn({ method: 'GET' })
  .middleware([getFanout])
  .handler(({ context }) => forClient(() => firstSuccess().combine(context.responses) as Group));
