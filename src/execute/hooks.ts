import { callEach } from '../_internal/callHook.js';
import type { Instance } from '../router/types.js';
import type { AttemptReport, FanoutReport } from './report.js';
import type { Outcome, Responses } from './types.js';

/** What `on.start` receives when a call begins, before routing. */
export interface StartState {
  operation: string;
  /** Identifies this call in every later hook of the same call (unique within the process). */
  callId: number;
  /** The caller's context, e.g. to read a tenant for telemetry; never logged by switchyard. */
  context: unknown;
}

/** What `on.attempt` receives when an attempt (first, retry or hedge) starts. */
export interface AttemptState {
  operation: string;
  callId: number;
  instance: Instance;
  /** The instance or replica this attempt is sent to. */
  target: Instance;
  attempt: number;
  hedge: boolean;
}

/** What `on.attemptEnd` receives when one attempt ends, however it ends. */
export interface AttemptEndState extends AttemptState {
  /** `cancelled`: aborted because the call finished or another hedge won. */
  result: NonNullable<AttemptReport['result']>;
  durationMs: number;
  /** The error the attempt failed with; `undefined` on success. */
  error: unknown;
}

/** What `on.retry` receives when a failed attempt will be retried after `delayMs`. */
export interface RetryState {
  operation: string;
  callId: number;
  instance: Instance;
  /** The attempt that just failed. */
  attempt: number;
  delayMs: number;
  error: unknown;
}

/** What `on.outcome` receives when one instance's outcome is known. */
export interface OutcomeState {
  operation: string;
  callId: number;
  outcome: Outcome<unknown>;
}

/** What `on.finish` receives when a call ends, however it ends: its responses and timeline. */
export interface FinishState {
  operation: string;
  callId: number;
  responses: Responses<unknown>;
  report: FanoutReport;
  /** Set when the call rejected (aborted, no instances, deadline while routing, a throwing strategy …). */
  error?: unknown;
}

export interface ProgrammerErrorState {
  operation: string;
  callId: number;
  instance: Instance;
  /** The TypeError, ReferenceError … the worker's own code threw. */
  error: unknown;
}

/** What `on.budgetExhausted` receives when the retry budget refuses a retry or a hedge. */
export interface BudgetExhaustedState {
  operation: string;
  callId: number;
  instance: Instance;
  kind: 'retry' | 'hedge';
}

/**
 * Observers of a fanout. Each takes one state object so it can grow without breaking anyone;
 * `callId` ties the hooks of one call together (`start` … `finish`). A hook that throws is
 * ignored: observing never changes a call's result. Combine several sets with `composeHooks`.
 */
export interface FanoutHooks {
  /** A call begins; every call that reaches `start` also reaches `finish`. */
  start?(state: StartState): void;
  attempt?(state: AttemptState): void;
  attemptEnd?(state: AttemptEndState): void;
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

type HookSet = { [name: string]: ((state: never) => void) | undefined };

/**
 * Combines several sets of hooks (fanout, breaker or dedup hooks) into one that calls each set in
 * order.
 *
 * Every option takes one `on` object; this lets telemetry, logging and your own observers share it.
 * A hook that throws is skipped without stopping the hooks after it.
 *
 * @example
 * createFanout({ router, on: composeHooks(telemetry.fanout, { finish: ({ report }) => log(report) }) });
 */
export function composeHooks<H extends object>(...sets: ReadonlyArray<H | undefined>): H {
  const present = sets.filter((set): set is H => set !== undefined) as HookSet[];
  const names = new Set(present.flatMap((set) => Object.keys(set)));
  const composed: Record<string, (state: never) => void> = {};
  for (const name of names) {
    const hooks = present.map((set) => set[name]).filter((hook): hook is (state: never) => void => typeof hook === 'function');
    composed[name] = (state) => callEach(hooks, state);
  }
  return composed as H;
}
