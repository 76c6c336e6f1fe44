import { REASONS } from '../_internal/abort.js';
import type { Clock } from '../_internal/clock.js';
import { TimerQueue, type Timed } from '../_internal/timerQueue.js';
import type { Strategy } from '../combine/types.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { Instance, InstanceRouter } from '../router/types.js';
import { admit } from './admit.js';
import { callFinished, callStarted, outcomeRecorded } from './events.js';
import type { ExecutionConfig, ExecutionInput } from './execute.js';
import { endUnsettled, releaseUnsettled } from './finish.js';
import type { FanoutHooks } from './hooks.js';
import { mistakeBehind } from './mistakes.js';
import { ReportRecorder, type FanoutReport } from './report.js';
import { addOutcome, emptyResponses } from './responses.js';
import type { InstanceRun } from './retry.js';
import { route } from './route.js';
import { schedule } from './schedule.js';
import type { Outcome, Responses, Worker, WorkerTraits } from './types.js';

const ROUTING = 0;
const RUNNING = 1;
const FINISHED = 2;

let lastCallId = 0;

/** A call of any types, as the steps see it. */
export type AnyCall = Call<unknown, unknown, unknown, unknown>;

/**
 * One call as a small state machine: route → admit → schedule → settle → finish. Each step lives
 * in its own file; this class holds the state they share and the transitions. It is also the
 * call's deadline timer and the listener of the caller's signal, so a call allocates one object
 * where it used to allocate a closure per transition.
 */
export class Call<T, R, Data, Ctx> implements Timed {
  readonly operation: string;
  readonly data: Data;
  readonly context: Ctx;
  readonly worker: Worker<T, Data, Ctx>;
  readonly idempotent: boolean;
  readonly refreshCredentials: WorkerTraits['refreshCredentials'];
  readonly hooks: FanoutHooks | undefined;
  readonly clock: Clock;
  readonly startedAt: number;
  readonly deadline: number;
  readonly callId: number;
  readonly timers: TimerQueue;
  readonly responses: Responses<T>;
  /** Recorded only when someone reads it: `runDetailed` or an `on.finish` hook. */
  readonly report: ReportRecorder | undefined;
  runs: InstanceRun[] = [];
  private phase = ROUTING;
  private pending = 0;
  private abortReason: unknown = undefined;
  private controller: AbortController | undefined = undefined;
  /** The clock reading of the step running now, while routing answers synchronously: no second read. */
  private stepNow: number | undefined = undefined;
  timerAt = 0;
  timerSlot = -1;
  timerSeq = 0;

  constructor(
    readonly config: ExecutionConfig,
    private readonly input: ExecutionInput<T, R, Data, Ctx>,
    private readonly detailed: boolean,
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.operation = input.operation;
    this.data = input.data;
    this.context = input.context;
    this.worker = input.worker;
    const traits = input.worker as WorkerTraits;
    this.idempotent = config.idempotent ?? traits.idempotent !== false;
    this.refreshCredentials = typeof traits.refreshCredentials === 'function' ? traits.refreshCredentials : undefined;
    this.hooks = config.hooks;
    this.clock = config.clock;
    this.startedAt = config.clock.now();
    this.deadline = this.startedAt + config.deadlineMs;
    this.callId = ++lastCallId;
    this.timers = new TimerQueue(config.clock);
    this.responses = emptyResponses<T>();
    this.report = detailed || this.hooks?.finish !== undefined ? new ReportRecorder(this.operation, this.startedAt) : undefined;
  }

  /** This call as the steps take it: they are written once, for every worker and strategy type. */
  private get any(): AnyCall {
    return this as unknown as AnyCall;
  }

  get finished(): boolean {
    return this.phase === FINISHED;
  }

  /** The call's own signal (the router's), created when first read. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.phase === FINISHED) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** Starts the call: the deadline, the caller's signal, then routing. */
  begin(): void {
    callStarted(this.any);
    const signal = this.input.signal;
    if (signal?.aborted) return this.handleEvent();
    // Entries scheduled while routing, admitting and scheduling arm the clock timer once, at the end.
    this.timers.hold();
    this.timers.schedule(this, this.deadline);
    signal?.addEventListener('abort', this, { once: true });
    this.stepNow = this.startedAt;
    route(this.any, this.input.target as readonly Instance[] | InstanceRouter<unknown, unknown>);
    this.stepNow = undefined;
    // Read the clock again: hooks, a synchronous router and the workers' synchronous starts took
    // time, and timers armed from an older reading would fire late by that much.
    this.timers.release();
  }

  /** Steps 2 and 3, once the instances are known. */
  admit(instances: readonly Instance[]): void {
    if (this.phase === FINISHED) return;
    this.phase = RUNNING;
    const self = this.any;
    try {
      const runs = admit(self, instances);
      if (runs.length === 0) {
        this.release(REASONS.noInstances);
        this.rejectWith('no-instances', new SwitchyardError('NO_INSTANCES', `No instance can serve "${this.operation}"`));
        return;
      }
      this.responses.routed = instances;
      this.runs = runs;
      this.pending = runs.length;
      const now = this.stepNow ?? this.clock.now();
      this.timers.hold();
      try {
        schedule(self, runs, now);
      } finally {
        this.timers.release();
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /** Step 4: one instance's outcome is known; the strategy may finish the call early. */
  settle(run: InstanceRun, outcome: Outcome<unknown>): void {
    if (this.phase === FINISHED) return;
    if (outcome.status === 'success') run.permit?.success();
    else if (outcome.status === 'error' && run.instanceFault) run.permit?.failure();
    else run.permit?.release();
    this.record(run, outcome);
    this.pending -= 1;
    let stop: boolean | void;
    try {
      stop = this.input.strategy.settle?.(outcome as Outcome<T>, this.responses);
    } catch (error) {
      return this.fail(error);
    }
    if (stop === true) this.finish('early-finish');
    else if (this.pending === 0) this.finish('all-settled');
  }

  record(run: InstanceRun, outcome: Outcome<unknown>): void {
    run.outcome = outcome;
    addOutcome(this.responses as Responses<unknown>, outcome);
    outcomeRecorded(this.any, run, outcome);
  }

  /** The deadline. */
  onTimer(): void {
    this.finish('deadline');
  }

  /** The caller's signal aborted: reject at once with ABORTED. */
  handleEvent(): void {
    if (this.phase === FINISHED) return;
    const reason = this.input.signal?.reason;
    this.release(reason ?? REASONS.callerAborted);
    releaseUnsettled(this.any, true);
    // Observers still get the timeline of an aborted call (what ran, for how long).
    this.rejectWith('aborted', new SwitchyardError('ABORTED', `Call to "${this.operation}" was aborted`, { cause: reason }));
  }

  /** The router or the strategy threw: reject with that error. */
  fail(error: unknown): void {
    if (this.phase === FINISHED) return;
    this.release(REASONS.failed);
    // Settled runs already told their breaker; a permit takes exactly one answer.
    releaseUnsettled(this.any, false);
    this.rejectWith('failed', error);
  }

  /** Step 5: every instance settled, the strategy finished early, or the deadline passed. */
  finish(by: FanoutReport['finishedBy']): void {
    if (this.phase === FINISHED) return;
    if (this.phase === ROUTING) {
      this.release(REASONS.deadline);
      this.rejectWith('deadline', new SwitchyardError('DEADLINE_EXCEEDED', `Call to "${this.operation}" passed its deadline while routing`));
      return;
    }
    const unsettled = this.pending > 0;
    this.release(by === 'deadline' ? REASONS.deadline : REASONS.finishedEarly);
    // Read only for the report or for instances still running.
    const now = unsettled || this.report !== undefined ? this.clock.now() : 0;
    const self = this.any;
    endUnsettled(self, by, now);
    let value: R;
    try {
      value = this.input.strategy.combine(this.responses);
    } catch (error) {
      callFinished(self, by, now, true, error);
      this.reject(mistakeBehind(error, this.responses as Responses<unknown>));
      return;
    }
    const report = callFinished(self, by, now, false, undefined);
    this.resolve(this.detailed ? { value, report } : value);
  }

  /** Ends the call: no timer, listener or running attempt is left behind. */
  private release(reason: unknown): void {
    this.phase = FINISHED;
    this.abortReason = reason;
    this.timers.clear();
    this.input.signal?.removeEventListener('abort', this);
    this.controller?.abort(reason);
    for (const run of this.runs) if (run.outcome === undefined) run.halt(reason);
  }

  /** Rejects the call; `on.finish` still sees what ran, so every call is reported exactly once. */
  private rejectWith(by: FanoutReport['finishedBy'], error: unknown): void {
    callFinished(this.any, by, this.report === undefined ? 0 : this.clock.now(), true, error);
    this.reject(error);
  }
}
