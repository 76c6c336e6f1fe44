import { httpStatusOf, isSwitchyardError } from 'switchyard';

/** Clients get a code and a generic message, never upstream text; the status comes from httpStatusOf. */
export function errorResponse(error: unknown): Response {
  // By name, not instanceof: Start loads a server function's code in a module of its own.
  if ((error as { name?: unknown } | null)?.name === 'UnauthenticatedError') return Response.json({ code: 'UNAUTHENTICATED' }, { status: 401 });
  return Response.json(isSwitchyardError(error) ? error.toJSON() : { code: 'INTERNAL' }, { status: httpStatusOf(error) });
}
