import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { Outcome, Responses } from '../core/outcome.js';
import { describeOutcomes } from './_describe.js';
import { generic, type GenericStrategy, type TypeLambda } from './types.js';

/** `firstSuccess()` over `T` gives `T`. */
export interface SameResult extends TypeLambda {
  readonly Out: this['In'];
}

export interface FirstSuccessOptions {
  /** Finish as soon as one instance succeeds, cancelling the rest. @default true */
  earlyFinish?: boolean;
}

/**
 * The first instance to succeed wins; for reading one resource that lives on one of several
 * instances. When none succeeds: only 403s → `FORBIDDEN`; only 403s/404s with at least one 404 →
 * `NOT_FOUND` (a 403 there means "not relevant to this user", as in `mergeAll`); else `ALL_FAILED`.
 */
export function firstSuccess(options: FirstSuccessOptions = {}): GenericStrategy<SameResult> {
  const earlyFinish = options.earlyFinish ?? true;
  return generic({
    settle: (outcome: Outcome<unknown>) => earlyFinish && outcome.status === 'success',
    combine(responses: Responses<unknown>) {
      const first = responses.successes[0];
      if (first !== undefined) return first.data;
      const all = responses.all as Outcome<unknown>[];
      const failures = responses.errors.length + responses.skipped.length;
      const ids = all.map((o) => o.instance.id);
      if (failures === 0 && responses.notFound.length === 0 && responses.unauthorized.length > 0) {
        throw new SwitchyardError('FORBIDDEN', 'Access denied on every instance', { instances: ids, cause: responses.unauthorized.map((o) => o.error) });
      }
      if (failures === 0 && responses.notFound.length > 0) {
        throw new SwitchyardError('NOT_FOUND', 'Not found on any instance', { instances: ids, cause: responses.notFound.map((o) => o.error) });
      }
      throw new SwitchyardError('ALL_FAILED', `No instance succeeded: ${describeOutcomes(all)}`, {
        instances: ids,
        cause: responses.errors.map((o) => o.error),
      });
    },
  });
}
