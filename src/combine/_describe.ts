import type { Outcome } from '../core/outcome.js';

/** A client-safe category for an outcome: never the upstream message. */
export function categoryOf(outcome: Outcome<unknown>): string {
  switch (outcome.status) {
    case 'error':
      return outcome.reason;
    case 'skipped':
      return outcome.reason;
    default:
      return outcome.status;
  }
}

/** "cloud (timeout), enterprise-acme (forbidden)" — ids and categories only. */
export function describeOutcomes(outcomes: readonly Outcome<unknown>[]): string {
  return outcomes.map((outcome) => `${outcome.instance.id} (${categoryOf(outcome)})`).join(', ');
}

export type Flatten<T> = T extends readonly (infer E)[] ? E : T;

export function flatten<T>(values: readonly T[]): Flatten<T>[] {
  const out: Flatten<T>[] = [];
  for (const value of values) {
    if (Array.isArray(value)) for (const item of value) out.push(item as Flatten<T>);
    else out.push(value as Flatten<T>);
  }
  return out;
}
