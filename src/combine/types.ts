import type { Outcome, Responses } from '../execute/types.js';

/**
 * Combines the outcomes of one call into one value.
 *
 * `settle` sees each outcome as it arrives and may return `true` to finish early: the calls still
 * running are aborted and reported `skipped: cancelled`.
 */
export interface Strategy<T, R> {
  settle?(outcome: Outcome<T>, soFar: Responses<T>): boolean | void;
  /** May throw a `SwitchyardError`. */
  combine(responses: Responses<T>): R;
}
