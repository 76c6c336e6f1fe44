import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { AnyCall } from './call.js';
import type { FanoutReport } from './report.js';
import type { Outcome } from './types.js';

/**
 * Step 5 for the instances still running or queued when the call finished: at the deadline a
 * started instance failed (`error: timeout`, counted by its breaker unless it was waiting for a
 * credential refresh or after a failure that was not the instance's), anything else was `skipped`
 * (`deadline` or `cancelled`, not counted). Each outcome is recorded, not shown to `settle`.
 */
export function endUnsettled(call: AnyCall, by: FanoutReport['finishedBy'], now: number): void {
  for (const run of call.runs) {
    if (run.outcome !== undefined) continue;
    if (run.report !== undefined) run.report.cancelled = true;
    let outcome: Outcome<unknown>;
    if (by === 'deadline' && run.started) {
      outcome = {
        status: 'error',
        instance: run.instance,
        error: run.lastError ?? new SwitchyardError('DEADLINE_EXCEEDED', `Instance "${run.instance.id}" did not answer before the deadline`),
        attempts: run.attempts,
        durationMs: now - run.startedAt,
        reason: 'timeout',
      };
      if (run.deadlineCounts) run.permit?.failure();
      else run.permit?.release();
    } else {
      outcome = { status: 'skipped', instance: run.instance, reason: by === 'deadline' ? 'deadline' : 'cancelled' };
      run.permit?.release();
    }
    call.record(run, outcome);
  }
}

/** Tells the breakers of runs with no outcome that their permit does not count (the call failed or was aborted). */
export function releaseUnsettled(call: AnyCall, markCancelled: boolean): void {
  for (const run of call.runs) {
    if (run.outcome !== undefined) continue;
    run.permit?.release();
    if (markCancelled && run.report !== undefined) {
      run.report.cancelled = true;
      run.report.reason = 'cancelled';
    }
  }
}
