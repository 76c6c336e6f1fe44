import type { Outcome, Responses } from '../core/outcome.js';

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

/**
 * A type-level function from a worker's data type `In` to a strategy's result type `Out`. It lets
 * built-in strategies be created without type arguments (`mergeAll()`) and still give
 * `fanout.run` an exact result type, inferred from the worker.
 */
export interface TypeLambda {
  readonly In: unknown;
  readonly Out: unknown;
}

export type ApplyLambda<L extends TypeLambda, T> = (L & { readonly In: T })['Out'];

declare const resultLambda: unique symbol;

/** A strategy that works for any worker type; its result type is `ApplyLambda<L, T>`. */
export interface GenericStrategy<L extends TypeLambda> extends Strategy<any, unknown> {
  /** Type-only: never present at run time. */
  readonly [resultLambda]: L;
}

/** What `run` resolves to for strategy `S` over a worker returning `T`. */
export type ResultOf<S, T> =
  S extends GenericStrategy<infer L> ? ApplyLambda<L, T> : S extends Strategy<any, infer R> ? R : never;

/** Wraps a built-in strategy's run-time object with its type-level result. */
export function generic<L extends TypeLambda>(strategy: Strategy<any, unknown>): GenericStrategy<L> {
  return strategy as GenericStrategy<L>;
}
