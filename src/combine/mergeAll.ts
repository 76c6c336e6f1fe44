import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { Outcome, Responses } from '../core/outcome.js';
import { describeOutcomes, flatten, type Flatten } from './_describe.js';
import { inOrder, type MergeOrder } from './_order.js';
import { generic, type GenericStrategy, type TypeLambda } from './types.js';

/** `mergeAll()` over `T` gives `Flatten<T>[]`. */
export interface MergeAllResult extends TypeLambda {
  readonly Out: Flatten<this['In']>[];
}

export interface MergeAllOptions {
  /**
   * `'router'`: results follow the router's instance order, the same on every call. `'settle'`:
   * in the order instances answered (first answers first).
   * @default 'router'
   */
  order?: MergeOrder;
}

/**
 * Flattens every success into one list; for searches across instances. 403 and 404 mean "not
 * relevant here" and are left out; a refused credential (401) is a failure. Throws `ALL_FAILED`
 * only when nothing succeeded and some instance failed (error or skipped); all 403/404 gives an
 * empty list. Results follow the router's instance order unless `order: 'settle'`.
 */
export function mergeAll(options: MergeAllOptions = {}): GenericStrategy<MergeAllResult> {
  const order = options.order ?? 'router';
  return generic({
    combine(responses: Responses<unknown>) {
      if (responses.successes.length === 0 && responses.errors.length + responses.skipped.length > 0) {
        const failed = inOrder([...responses.errors, ...responses.skipped] as Outcome<unknown>[], responses, order);
        throw new SwitchyardError('ALL_FAILED', `No instance succeeded: ${describeOutcomes(failed)}`, {
          instances: failed.map((o) => o.instance.id),
          cause: responses.errors.map((o) => o.error),
        });
      }
      return flatten(inOrder(responses.successes, responses, order).map((s) => s.data));
    },
  });
}
