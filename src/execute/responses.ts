import type { Outcome, Responses } from './types.js';

export function emptyResponses<T>(): Responses<T> {
  // `routed` is set once routing is done; declared here so the object keeps one shape.
  return { all: [], routed: undefined, successes: [], unauthorized: [], notFound: [], errors: [], skipped: [] };
}

/** Adds one outcome to its category (and to `all`, in settle order). */
export function addOutcome<T>(responses: Responses<T>, outcome: Outcome<T>): void {
  responses.all.push(outcome);
  switch (outcome.status) {
    case 'success':
      responses.successes.push(outcome);
      break;
    case 'unauthorized':
      responses.unauthorized.push(outcome);
      break;
    case 'not-found':
      responses.notFound.push(outcome);
      break;
    case 'error':
      responses.errors.push(outcome);
      break;
    case 'skipped':
      responses.skipped.push(outcome);
      break;
  }
}

/**
 * A copy of `responses` for another caller of a shared execution: new lists and outcome objects,
 * each success's data through `copyData`; instances and errors are shared (read-only, as the
 * error of a rejected call is).
 */
export function copyResponses<T>(responses: Responses<T>, copyData: (data: T) => T): Responses<T> {
  const copy = emptyResponses<T>();
  copy.routed = responses.routed;
  for (const outcome of responses.all) addOutcome(copy, outcome.status === 'success' ? { ...outcome, data: copyData(outcome.data) } : { ...outcome });
  return copy;
}
