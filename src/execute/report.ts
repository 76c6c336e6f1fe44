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
