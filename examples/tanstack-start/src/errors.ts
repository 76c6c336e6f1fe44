import { httpStatusOf, isSwitchyardError } from 'switchyard';

/**
 * What a client may see of an error: a code and a generic message as JSON, with the status from
 * `httpStatusOf`; never upstream text, URLs or instance ids. Start sends a `Response` thrown by a
 * server function as it is, both to a browser calling it and out of a server route.
 */
export function clientResponse(error: unknown): Response {
  if (error instanceof Response) return error;
  return Response.json(isSwitchyardError(error) ? error.toJSON() : { code: 'INTERNAL' }, { status: httpStatusOf(error) });
}

/** Runs `work`; if it fails, throws the failure as {@link clientResponse} (the original stays in server logs). */
export async function forClient<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw clientResponse(error);
  }
}
