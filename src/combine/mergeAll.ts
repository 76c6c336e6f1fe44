import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { Outcome, Responses } from '../execute/types.js';
import { describeOutcomes, flatten, type Flatten } from './_describe.js';
import { generic, type GenericStrategy, type TypeLambda } from './types.js';

/** `mergeAll()` over `T` gives `Flatten<T>[]`. */
export interface MergeAllResult extends TypeLambda {
  readonly Out: Flatten<this['In']>[];
}

/**
 * Flattens every success into one list; for searches across instances. 403 and 404 mean "not
 * relevant here" and are left out. Throws `ALL_FAILED` only when nothing succeeded and some
 * instance failed (error or skipped); all 403/404 gives an empty list.
 */
export function mergeAll(): GenericStrategy<MergeAllResult> {
  return generic({
    combine(responses: Responses<unknown>) {
      if (responses.successes.length === 0 && responses.errors.length + responses.skipped.length > 0) {
        const failed = [...responses.errors, ...responses.skipped] as Outcome<unknown>[];
        throw new SwitchyardError('ALL_FAILED', `No instance succeeded: ${describeOutcomes(failed)}`, {
          instances: failed.map((o) => o.instance.id),
          cause: responses.errors.map((o) => o.error),
        });
      }
      return flatten(responses.successes.map((s) => s.data));
    },
  });
}
