import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { Outcome, Responses } from '../execute/types.js';
import { categoryOf, describeOutcomes, flatten, type Flatten } from './_describe.js';
import { generic, type GenericStrategy, type TypeLambda } from './types.js';

/** `partialWithWarnings()` over `T` gives `PartialResult<Flatten<T>>`. */
export interface PartialResultOf extends TypeLambda {
  readonly Out: PartialResult<Flatten<this['In']>>;
}

/** One instance that could not contribute; safe to show to a client. */
export interface Warning {
  instance: string;
  /** `timeout`, `failed`, `circuit-open`, `cancelled`, `deadline`, or `unauthorized`/`not-found` when included. */
  category: string;
  message: string;
}

export interface PartialResult<E> {
  data: E[];
  warnings: Warning[];
  unavailableInstances: string[];
}

export interface PartialWithWarningsOptions {
  /** Also warn about instances that answered 401/403. @default false */
  includeUnauthorized?: boolean;
  /** Return an empty result with warnings instead of throwing `ALL_FAILED` when nothing succeeded. @default false */
  allowEmpty?: boolean;
}

/**
 * Shows what could be fetched and says which instances were unavailable (a dashboard). Warnings
 * carry instance ids and categories, never upstream text.
 */
export function partialWithWarnings(options: PartialWithWarningsOptions = {}): GenericStrategy<PartialResultOf> {
  return generic({
    combine(responses: Responses<unknown>): PartialResult<unknown> {
      const unavailable = [
        ...responses.errors,
        ...responses.skipped,
        ...(options.includeUnauthorized ? responses.unauthorized : []),
      ] as Outcome<unknown>[];
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
        data: flatten(responses.successes.map((s) => s.data)),
        warnings,
        unavailableInstances: warnings.map((w) => w.instance),
      };
    },
  });
}
