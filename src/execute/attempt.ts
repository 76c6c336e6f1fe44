import { REASONS } from '../_internal/abort.js';
import { ABORTABLE, type Abortable } from '../_internal/abortable.js';
import type { Timed } from '../_internal/timerQueue.js';
import type { Instance } from '../router/types.js';
import type { AnyCall } from './call.js';
import type { Classification, Classifier } from './classify.js';
import { attemptEnded, attemptStarted } from './events.js';
import { lazySignal, type SignalSource } from './lazySignal.js';
import type { AttemptReport } from './report.js';
import type { InstanceRun } from './retry.js';
import type { WorkerCall } from './types.js';

/** Who hears that an attempt ended: its instance's run, or the hedge race it belongs to. */
export interface AttemptOwner {
  attemptEnded(attempt: Attempt): void;
}

/** What a worker gets: plain data plus the attempt's signal, read lazily. */
class AttemptCall implements WorkerCall<unknown, unknown> {
  readonly #source: Attempt;
  declare readonly signal: AbortSignal;
  readonly data: unknown;
  readonly context: unknown;
  readonly operation: string;
  readonly attempt: number;
  readonly deadline: number;
  readonly hedge: boolean;

  constructor(source: Attempt, call: AnyCall, attempt: number, hedge: boolean) {
    this.data = call.data;
    this.context = call.context;
    this.operation = call.operation;
    this.attempt = attempt;
    this.deadline = call.deadline;
    this.hedge = hedge;
    this.#source = source;
    Object.defineProperty(this, 'signal', CALL_SIGNAL);
  }

  /** The attempt as an abort source, for `httpWorker`'s undici requests; on the prototype, so `{ ...call }` drops it. */
  get [ABORTABLE](): Abortable {
    return this.#source;
  }

  static sourceOf(call: object): SignalSource {
    return (call as AttemptCall).#source;
  }
}

const CALL_SIGNAL = lazySignal(AttemptCall.sourceOf);

/** A classifier that throws must not strand the call: its failure counts as a permanent error. */
function classifySafely(classify: Classifier, input: Parameters<Classifier>[0]): Classification {
  try {
    return classify(input);
  } catch {
    return { status: 'error', retryable: false };
  }
}

/**
 * One call of the worker on one target, under its own timeout; the object is also its result
 * (`ok`, `value` or `error` and its classification) and its timer entry. It never throws: it ends
 * exactly once, by answer, failure, timeout or abort, and tells its owner.
 */
export class Attempt implements Timed, SignalSource, Abortable {
  owner: AttemptOwner;
  readonly number: number;
  report: AttemptReport | undefined = undefined;
  done = false;
  ok = false;
  value: unknown = undefined;
  error: unknown = undefined;
  timedOut = false;
  cancelled = false;
  classification: Classification | undefined = undefined;
  endedAt = 0;
  aborted = false;
  reason: unknown = undefined;
  /** When the primary attempt's hedge is due (its one timer entry serves both). */
  hedgeAt = Number.POSITIVE_INFINITY;
  timeoutAt = 0;
  timerAt = 0;
  timerSlot = -1;
  timerSeq = 0;
  private controller: AbortController | undefined = undefined;
  /** Listeners added through the `Abortable` methods (undici's, one per request in flight). */
  private listeners: (() => void)[] | undefined = undefined;

  constructor(
    readonly call: AnyCall,
    readonly run: InstanceRun,
    readonly target: Instance,
    readonly hedge: boolean,
    readonly startedAt: number,
    retryDelayMs: number | undefined,
  ) {
    this.owner = run;
    run.attempts += 1;
    this.number = run.attempts;
    attemptStarted(call, this, retryDelayMs);
  }

  /** The worker's signal, created when first read; aborted on timeout, hedge loss and the call's end. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.listeners = this.listeners?.filter((added) => added !== listener);
  }

  /** Arms the timeout (and the hedge, when due first) and calls the worker. */
  begin(): void {
    const call = this.call;
    this.timeoutAt = this.startedAt + Math.max(1, Math.min(call.config.timeoutMs, call.deadline - this.startedAt));
    call.timers.schedule(this, Math.min(this.hedgeAt, this.timeoutAt));
    let running: Promise<unknown>;
    try {
      running = Promise.resolve(call.worker(this.target, new AttemptCall(this, call, this.number, this.hedge)));
    } catch (error) {
      running = Promise.reject(error);
    }
    // A worker that ignores its signal may settle after the attempt ended: its answer is dropped.
    running.then(
      (value) => this.succeed(value),
      (error: unknown) => this.fail(error, false, false),
    );
  }

  onTimer(): void {
    if (this.hedgeAt <= this.timerAt) {
      this.hedgeAt = Number.POSITIVE_INFINITY;
      this.run.hedgeDue(this);
      if (this.done) return;
      if (this.timeoutAt > this.timerAt) {
        this.call.timers.schedule(this, this.timeoutAt);
        return;
      }
    }
    this.fail(REASONS.attemptTimeout, true, false);
    this.abort(REASONS.attemptTimeout);
  }

  /** Aborts the worker's signal; a running attempt ends `cancelled`. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    const listeners = this.listeners ?? [];
    this.listeners = undefined;
    for (const listener of listeners) {
      try {
        listener();
      } catch {
        // As with an AbortSignal's listeners: one that throws stops neither the others nor the abort.
      }
    }
    if (!this.done) this.fail(reason, false, true);
  }

  private succeed(value: unknown): void {
    if (this.done) return;
    const now = this.call.clock.now();
    const hedge = this.call.config.hedge;
    if (hedge !== undefined) hedge.latency(this.run.instance.id, this.call.operation).record(now - this.startedAt);
    this.ok = true;
    this.value = value;
    this.end(now, 'success');
  }

  private fail(error: unknown, timedOut: boolean, cancelled: boolean): void {
    if (this.done) return;
    const classification = classifySafely(this.call.config.classify, { error, instance: this.run.instance, timedOut });
    this.error = error;
    this.timedOut = timedOut;
    this.cancelled = cancelled;
    this.classification = classification;
    this.end(this.call.clock.now(), timedOut ? 'timeout' : cancelled ? 'cancelled' : classification.status);
  }

  private end(now: number, label: NonNullable<AttemptReport['result']>): void {
    this.done = true;
    this.endedAt = now;
    this.call.timers.cancel(this);
    attemptEnded(this.call, this, label);
    this.owner.attemptEnded(this);
  }
}
