import type { Outcome } from './types.js';

/** One attempt on one instance, with offsets from the start of the call (for a waterfall). */
export interface AttemptReport {
  /** 1-based, counting hedges. */
  attempt: number;
  hedge: boolean;
  /** The instance id, or the replica's id for a hedge sent to a replica. */
  target: string;
  startMs: number;
  endMs: number | undefined;
  result: 'success' | 'unauthorized' | 'not-found' | 'error' | 'timeout' | 'cancelled' | undefined;
  /** Backoff waited before this attempt started. */
  retryDelayMs?: number;
}

/** What happened on one instance during one call. */
export interface InstanceReport {
  instanceId: string;
  status: Outcome<unknown>['status'];
  reason?: string;
  attempts: AttemptReport[];
  /** True when the call finished (early finish or deadline) while this instance still ran or waited. */
  cancelled: boolean;
}

/** A per-instance timeline of one call, returned by `runDetailed`; enough to draw a waterfall. */
export interface FanoutReport {
  operation: string;
  /** Epoch ms when the call started. */
  startedAt: number;
  durationMs: number;
  /**
   * `aborted`: the caller's signal aborted and the call rejected with `ABORTED`; `failed`: the
   * router or the strategy threw, and the call rejected with that error; `no-instances`: the
   * router chose no instance (`NO_INSTANCES`).
   */
  finishedBy: 'all-settled' | 'early-finish' | 'deadline' | 'aborted' | 'failed' | 'no-instances';
  instances: InstanceReport[];
}

/**
 * Builds the report of one call from its events. It exists only when someone reads the report
 * (`runDetailed`, an `on.finish` hook): other calls record no timeline at all.
 */
export class ReportRecorder {
  readonly instances: InstanceReport[] = [];

  constructor(
    private readonly operation: string,
    private readonly startedAt: number,
  ) {}

  /** An instance joined the call; its report starts as not called. */
  instance(instanceId: string): InstanceReport {
    const report: InstanceReport = { instanceId, status: 'skipped', attempts: [], cancelled: false };
    this.instances.push(report);
    return report;
  }

  attemptStarted(instance: InstanceReport, attempt: number, hedge: boolean, target: string, startMs: number, retryDelayMs: number | undefined): AttemptReport {
    const report: AttemptReport = { attempt, hedge, target, startMs, endMs: undefined, result: undefined };
    if (retryDelayMs !== undefined) report.retryDelayMs = retryDelayMs;
    instance.attempts.push(report);
    return report;
  }

  /** The report of a call that ended `by` at `durationMs`; attempts still open end there too. */
  close(by: FanoutReport['finishedBy'], durationMs: number): FanoutReport {
    for (const instance of this.instances) {
      for (const attempt of instance.attempts) {
        if (attempt.endMs === undefined) {
          attempt.endMs = durationMs;
          attempt.result = by === 'deadline' ? 'timeout' : 'cancelled';
        }
      }
    }
    return { operation: this.operation, startedAt: this.startedAt, durationMs, finishedBy: by, instances: this.instances };
  }
}
