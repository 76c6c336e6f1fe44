import type { Instance } from '../router/types.js';
import type { FanoutReport } from './report.js';
import type { Outcome, Responses } from './types.js';

export interface AttemptState {
  operation: string;
  instance: Instance;
  /** The instance or replica this attempt is sent to. */
  target: Instance;
  attempt: number;
  hedge: boolean;
}

export interface RetryState {
  operation: string;
  instance: Instance;
  /** The attempt that just failed. */
  attempt: number;
  delayMs: number;
  error: unknown;
}

export interface OutcomeState {
  operation: string;
  outcome: Outcome<unknown>;
}

export interface FinishState {
  operation: string;
  responses: Responses<unknown>;
  report: FanoutReport;
  /** Set when the call rejected (aborted, no instances, deadline while routing, a throwing strategy …). */
  error?: unknown;
}

export interface ProgrammerErrorState {
  operation: string;
  instance: Instance;
  /** The TypeError, ReferenceError … the worker's own code threw. */
  error: unknown;
}

export interface BudgetExhaustedState {
  operation: string;
  instance: Instance;
  kind: 'retry' | 'hedge';
}

/**
 * Observers of a fanout. Each takes one state object so it can grow without breaking anyone.
 * A hook that throws is ignored: observing never changes a call's result.
 */
export interface FanoutHooks {
  attempt?(state: AttemptState): void;
  retry?(state: RetryState): void;
  outcome?(state: OutcomeState): void;
  /** Exactly once per execution, however it ends (also when it rejects). */
  finish?(state: FinishState): void;
  /**
   * The worker's own code threw a TypeError, ReferenceError, SyntaxError or RangeError: a bug,
   * not an outage. The outcome is an `error` that is neither retried nor counted by a breaker.
   */
  programmerError?(state: ProgrammerErrorState): void;
  budgetExhausted?(state: BudgetExhaustedState): void;
}

export function emit<K extends keyof FanoutHooks>(
  hooks: FanoutHooks | undefined,
  name: K,
  state: Parameters<NonNullable<FanoutHooks[K]>>[0],
): void {
  const hook = hooks?.[name] as ((s: typeof state) => void) | undefined;
  if (hook === undefined) return;
  try {
    hook(state);
  } catch {
    // Observers must not change the result of a call.
  }
}
