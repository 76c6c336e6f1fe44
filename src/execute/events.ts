import { callHook } from '../_internal/callHook.js';
import type { Instance } from '../router/types.js';
import type { Attempt } from './attempt.js';
import type { AnyCall } from './call.js';
import type { FanoutReport } from './report.js';
import type { InstanceRun } from './retry.js';
import type { Outcome, Responses } from './types.js';

/**
 * The events of one call, sent to its two kinds of subscribers: the `on` hooks and the report
 * recorder. Each one builds its state object only when its subscriber exists, so a call nobody
 * observes allocates nothing here.
 */

export function callStarted(call: AnyCall): void {
  const hook = call.hooks?.start;
  if (hook !== undefined) callHook(hook, { operation: call.operation, callId: call.callId, context: call.context });
}

export function attemptStarted(call: AnyCall, attempt: Attempt, retryDelayMs: number | undefined): void {
  const run = attempt.run;
  if (run.report !== undefined) {
    attempt.report = call.report!.attemptStarted(run.report, attempt.number, attempt.hedge, attempt.target.id, attempt.startedAt - call.startedAt, retryDelayMs);
  }
  const hook = call.hooks?.attempt;
  if (hook !== undefined) {
    callHook(hook, { operation: call.operation, callId: call.callId, instance: run.instance, target: attempt.target, attempt: attempt.number, hedge: attempt.hedge });
  }
}

export function attemptEnded(call: AnyCall, attempt: Attempt, label: NonNullable<Outcome<unknown>['status'] | 'timeout' | 'cancelled'>): void {
  const report = attempt.report;
  if (report !== undefined && report.endMs === undefined) {
    report.endMs = attempt.endedAt - call.startedAt;
    report.result = label as typeof report.result;
  }
  const hook = call.hooks?.attemptEnd;
  if (hook === undefined) return;
  callHook(hook, {
    operation: call.operation,
    callId: call.callId,
    instance: attempt.run.instance,
    target: attempt.target,
    attempt: attempt.number,
    hedge: attempt.hedge,
    result: (report?.result ?? label) as NonNullable<typeof label>,
    durationMs: attempt.endedAt - attempt.startedAt,
    error: attempt.ok ? undefined : attempt.error,
  } as Parameters<typeof hook>[0]);
}

export function retrying(call: AnyCall, run: InstanceRun, delayMs: number, error: unknown): void {
  const hook = call.hooks?.retry;
  if (hook !== undefined) callHook(hook, { operation: call.operation, callId: call.callId, instance: run.instance, attempt: run.attempts, delayMs, error });
}

export function budgetExhausted(call: AnyCall, instance: Instance, kind: 'retry' | 'hedge'): void {
  const hook = call.hooks?.budgetExhausted;
  if (hook !== undefined) callHook(hook, { operation: call.operation, callId: call.callId, instance, kind });
}

export function programmerError(call: AnyCall, instance: Instance, error: unknown): void {
  const hook = call.hooks?.programmerError;
  if (hook !== undefined) callHook(hook, { operation: call.operation, callId: call.callId, instance, error });
}

export function outcomeRecorded(call: AnyCall, run: InstanceRun, outcome: Outcome<unknown>): void {
  const report = run.report;
  if (report !== undefined) {
    report.status = outcome.status;
    if (outcome.status === 'skipped' || outcome.status === 'error') report.reason = outcome.reason;
  }
  const hook = call.hooks?.outcome;
  if (hook !== undefined) callHook(hook, { operation: call.operation, callId: call.callId, outcome });
}

/** The call ended `by`; the report (when recorded) closes at `now`. A call that rejects tells `on.finish` its error. */
export function callFinished(call: AnyCall, by: FanoutReport['finishedBy'], now: number, rejected: boolean, error: unknown): FanoutReport | undefined {
  const report = call.report?.close(by, now - call.startedAt);
  const hook = call.hooks?.finish;
  if (hook !== undefined) {
    const state = { operation: call.operation, callId: call.callId, responses: call.responses as Responses<unknown>, report: report! };
    callHook(hook, rejected ? { ...state, error } : state);
  }
  return report;
}
