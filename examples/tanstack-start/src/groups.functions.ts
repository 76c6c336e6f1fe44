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
import { fanout, getWorker, searchWorker, type Group } from './fanout.js';

/** Thrown when a request names no user; the routes answer it with 401. */
export class UnauthenticatedError extends Error {
  override readonly name = 'UnauthenticatedError';
}

/** Who the request acts for. The example reads `x-user`; a real BFF reads its session here. */
function viewerOf(request: Request): Viewer {
  const user = request.headers.get('x-user');
  if (user === null || user === '') throw new UnauthenticatedError('Sign in first');
  return { user };
}

const searchFanout = createMiddleware({ type: 'function' })
  .validator((input: { q: string }) => ({ q: String(input.q) }))
  .server(async ({ data, next }) => {
    const request = getRequest();
    const responses = await fanout.collect({
      operation: 'searchGroups',
      data,
      context: viewerOf(request),
      worker: searchWorker,
      signal: request.signal,
    });
    return next({ context: { responses } });
  });

const getFanout = createMiddleware({ type: 'function' })
  .validator((input: { id: string }) => ({ id: String(input.id) }))
  .server(async ({ data, next }) => {
    const request = getRequest();
    const responses = await fanout.collect({ operation: 'getGroup', data, context: viewerOf(request), worker: getWorker, signal: request.signal });
    return next({ context: { responses } });
  });

/**
 * Every match the user may see, with a warning per instance that could not answer (down, timed
 * out, refused the BFF's credential). Instances that answer 403 are not the user's: left out.
 */
export const searchGroups = createServerFn({ method: 'GET' })
  .middleware([searchFanout])
  .handler(({ context }): PartialResult<Group> => partialWithWarnings().combine(context.responses) as PartialResult<Group>);

/** The group from the first instance that has it; throws NOT_FOUND or FORBIDDEN otherwise. */
export const getGroup = createServerFn({ method: 'GET' })
  .middleware([getFanout])
  .handler(({ context }): Group => firstSuccess().combine(context.responses) as Group);
