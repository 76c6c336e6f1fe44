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
