import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { Outcome, Responses } from '../core/outcome.js';
import { categoryOf } from './_describe.js';
import type { SameResult } from './firstSuccess.js';
import { generic, type GenericStrategy, type ResultOf, type Strategy, type TypeLambda } from './types.js';

/** `requireInstance(id, inner)` over `T` gives what `inner` gives over `T`. */
export interface InnerResult<Inner> extends TypeLambda {
  readonly Out: ResultOf<Inner, this['In']>;
}

/**
 * The instance `id` must succeed (critical data, e.g. the profile from `cloud`): if it fails the
 * call ends at once with `REQUIRED_INSTANCE_FAILED`. Returns its data, or `inner`'s value when an
 * inner strategy is given. `inner` may finish early only after the required instance succeeded.
 */
export function requireInstance(id: string): GenericStrategy<SameResult>;
export function requireInstance<Inner extends Strategy<any, unknown>>(id: string, inner: Inner): GenericStrategy<InnerResult<Inner>>;
export function requireInstance(id: string, inner?: Strategy<any, unknown>): GenericStrategy<TypeLambda> {
  const requiredFailed = (outcome: Outcome<unknown>) => outcome.instance.id === id && outcome.status !== 'success';
  return generic({
    settle(outcome: Outcome<unknown>, soFar: Responses<unknown>) {
      if (requiredFailed(outcome)) return true;
      const innerWantsToStop = inner?.settle?.(outcome, soFar) === true;
      return innerWantsToStop && soFar.successes.some((s) => s.instance.id === id);
    },
    combine(responses: Responses<unknown>) {
      const required = responses.all.find((o) => o.instance.id === id);
      if (required === undefined || required.status !== 'success') {
        const category = required === undefined ? 'not routed' : categoryOf(required);
        throw new SwitchyardError('REQUIRED_INSTANCE_FAILED', `Required instance ${id} did not succeed (${category})`, {
          instances: [id],
          cause: required !== undefined && 'error' in required ? required.error : undefined,
        });
      }
      return inner === undefined ? required.data : inner.combine(responses);
    },
  });
}
