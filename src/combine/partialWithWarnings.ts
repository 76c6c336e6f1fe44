import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { Outcome, Responses } from '../core/outcome.js';
import { categoryOf, describeOutcomes, flatten, type Flatten } from './_describe.js';
import { inOrder, type MergeOrder } from './_order.js';
import { generic, type GenericStrategy, type TypeLambda } from './types.js';

/** `partialWithWarnings()` over `T` gives `PartialResult<Flatten<T>>`. */
export interface PartialResultOf extends TypeLambda {
  readonly Out: PartialResult<Flatten<this['In']>>;
}

/** One instance that could not contribute; safe to show to a client. */
export interface Warning {
  instance: string;
  /**
   * `timeout`, `failed`, `unauthenticated` (the instance refused the BFF's credential),
   * `circuit-open`, `cancelled`, `deadline`, or `unauthorized` when included.
   */
  category: string;
  message: string;
}

export interface PartialResult<E> {
  data: E[];
  warnings: Warning[];
  unavailableInstances: string[];
}

export interface PartialWithWarningsOptions {
  /** Also warn about instances that answered 403. (A 401 is always a warning: `unauthenticated`.) @default false */
  includeUnauthorized?: boolean;
  /** Return an empty result with warnings instead of throwing `ALL_FAILED` when nothing succeeded. @default false */
  allowEmpty?: boolean;
  /**
   * `'router'`: data and warnings follow the router's instance order, the same on every call.
   * `'settle'`: in the order instances answered.
   * @default 'router'
   */
  order?: MergeOrder;
}

/**
 * Shows what could be fetched and says which instances were unavailable (a dashboard). Warnings
 * carry instance ids and categories, never upstream text; a refused credential (401) is always a
 * warning. Data and warnings follow the router's instance order unless `order: 'settle'`.
 */
export function partialWithWarnings(options: PartialWithWarningsOptions = {}): GenericStrategy<PartialResultOf> {
  const order = options.order ?? 'router';
  return generic({
    combine(responses: Responses<unknown>): PartialResult<unknown> {
      const unavailable = inOrder(
        [...responses.errors, ...responses.skipped, ...(options.includeUnauthorized ? responses.unauthorized : [])] as Outcome<unknown>[],
        responses,
        order,
      );
      if (!options.allowEmpty && responses.successes.length === 0 && responses.errors.length + responses.skipped.length > 0) {
        throw new SwitchyardError('ALL_FAILED', `No instance succeeded: ${describeOutcomes(unavailable)}`, {
          instances: unavailable.map((o) => o.instance.id),
          cause: responses.errors.map((o) => o.error),
        });
      }
      const warnings = unavailable.map((outcome) => {
        const category = categoryOf(outcome);
        return { instance: outcome.instance.id, category, message: `${outcome.instance.id} unavailable (${category})` };
      });
      return {
        data: flatten(inOrder(responses.successes, responses, order).map((s) => s.data)),
        warnings,
        unavailableInstances: warnings.map((w) => w.instance),
      };
    },
  });
}
