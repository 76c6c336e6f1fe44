import type { Timed } from '../_internal/timerQueue.js';
import type { Permit } from '../core/permit.js';
import type { Instance } from '../router/types.js';
import { Attempt, type AttemptOwner } from './attempt.js';
import { backoffDelay } from './backoff.js';
import type { AnyCall } from './call.js';
import { budgetExhausted, programmerError, retrying } from './events.js';
import { HedgeRace, hedgeDelay } from './hedge.js';
import type { InstanceReport } from './report.js';
import type { Failure, Outcome } from './types.js';

/**
 * Everything that happens on one instance during one call: its attempts, the retry policy around
 * them (backoff, budget, one credential refresh after a 401) and its outcome. Between attempts it
 * is its own timer entry (the backoff), so a retry allocates no timer.
 */
export class InstanceRun implements AttemptOwner, Timed {
  outcome: Outcome<unknown> | undefined = undefined;
  report: InstanceReport | undefined = undefined;
  startedAt = 0;
  attempts = 0;
  lastError: unknown = undefined;
  /** False when the outcome says nothing about the instance's health: the breaker does not count it. */
  instanceFault = true;
  private round = 1;
  private refreshed = false;
  private backoffMs = 0;
  private current: Attempt | undefined = undefined;
  private race: HedgeRace | undefined = undefined;
  private hedgeMs = 0;
  /** Frees this run's concurrency slot (under `concurrency` below the instance count). */
  private releaseSlot: (() => void) | undefined = undefined;
  timerAt = 0;
  timerSlot = -1;
  timerSeq = 0;

  constructor(
    readonly call: AnyCall,
    readonly instance: Instance,
    readonly permit: Permit | undefined,
    /** Its breaker is open: the instance is skipped, never called. */
    readonly circuitOpen: boolean,
  ) {}

  get started(): boolean {
    return this.attempts > 0;
  }

  /** Starts the first attempt at `now` (one clock read serves every instance started together). */
  start(now: number): void {
    if (this.call.finished) return this.release();
    this.startedAt = now;
    this.call.config.budget?.recordRequest();
    this.attempt(now, undefined);
  }

  /** `start` for a run queued behind the concurrency limit: resolves when the run is over. */
  startQueued(): Promise<void> {
    return new Promise((resolve) => {
      this.releaseSlot = resolve;
      this.start(this.call.clock.now());
    });
  }

  /** One round: a primary attempt, and hedges when they are configured and it is slow. */
  private attempt(now: number, retryDelayMs: number | undefined): void {
    const call = this.call;
    const primary = new Attempt(call, this, this.instance, false, now, retryDelayMs);
    this.current = primary;
    this.race = undefined;
    // A backup of work that is not idempotent could do it twice.
    const delay = call.idempotent && call.config.hedge !== undefined ? hedgeDelay(this) : undefined;
    if (delay !== undefined && call.deadline - now > delay) {
      this.hedgeMs = delay;
      primary.hedgeAt = now + delay;
    }
    primary.begin();
  }

  /** The primary attempt is slower than the hedge delay: race backups against it. */
  hedgeDue(primary: Attempt): void {
    this.race = new HedgeRace(this, primary, this.hedgeMs);
    this.race.hedge();
  }

  attemptEnded(attempt: Attempt): void {
    this.roundEnded(attempt);
  }

  /** A round ended with `result` (the attempt, or the race's winner or most telling failure). */
  roundEnded(result: Attempt): void {
    if (this.call.finished) return this.release();
    try {
      this.decide(result);
    } catch (error) {
      // A throwing `random` or the like: a bug to report, not an instance to blame.
      this.call.fail(error);
    }
  }

  private decide(result: Attempt): void {
    const call = this.call;
    const now = result.endedAt;
    const durationMs = now - this.startedAt;
    if (result.ok) {
      this.instanceFault = true;
      return this.settle({ status: 'success', instance: this.instance, data: result.value, attempts: this.attempts, durationMs });
    }
    this.lastError = result.error;
    const classification = result.classification!;
    if (classification.status !== 'error') {
      return this.settle({ status: classification.status, instance: this.instance, error: result.error, attempts: this.attempts, durationMs });
    }
    this.instanceFault = classification.instanceFault !== false || result.timedOut;
    const unauthenticated = classification.reason === 'unauthenticated' && !result.timedOut;
    const failure: Failure = {
      status: 'error',
      instance: this.instance,
      error: result.error,
      attempts: this.attempts,
      durationMs,
      reason: result.timedOut ? 'timeout' : unauthenticated ? 'unauthenticated' : 'failed',
    };
    if (classification.programmerError === true) programmerError(call, this.instance, result.error);
    if (unauthenticated) return this.refresh(failure, result.error);
    const retry = call.config.retry;
    if (retry === undefined || this.round >= retry.maxAttempts || !this.wantsRetry(failure, result)) return this.settle(failure);
    const delayMs = backoffDelay(this.round, retry, call.config.random, classification.retryAfterMs);
    if (now + delayMs >= call.deadline) return this.settle(failure);
    if (call.config.budget !== undefined && !call.config.budget.tryWithdraw()) {
      budgetExhausted(call, this.instance, 'retry');
      return this.settle(failure);
    }
    retrying(call, this, delayMs, result.error);
    this.round += 1;
    this.backoffMs = delayMs;
    this.current = undefined;
    call.timers.schedule(this, now + delayMs);
  }

  /** The backoff is over: the next round. */
  onTimer(): void {
    this.attempt(this.call.clock.now(), this.backoffMs);
  }

  /** Asks the user's `shouldRetry`, if any; a throwing one counts as "no". */
  private wantsRetry(failure: Failure, result: Attempt): boolean {
    const call = this.call;
    const classification = result.classification!;
    const notSent = classification.notSent === true && !result.timedOut;
    const idempotent = call.idempotent;
    const retry = classification.retryable && (idempotent || notSent);
    const shouldRetry = call.config.shouldRetry;
    if (shouldRetry === undefined) return retry;
    try {
      return shouldRetry({ operation: call.operation, instance: this.instance, attempt: this.attempts, error: result.error, outcome: failure, idempotent, notSent, retry }) === true;
    } catch {
      return false;
    }
  }

  /** The instance refused the credential before doing anything: refresh it and try once more. */
  private refresh(failure: Failure, error: unknown): void {
    const refreshCredentials = this.call.refreshCredentials;
    if (this.refreshed || refreshCredentials === undefined) return this.settle(failure);
    this.refreshed = true;
    let refreshing: Promise<void> | void;
    try {
      refreshing = refreshCredentials(this.instance, error);
    } catch {
      return this.settle(failure);
    }
    this.current = undefined;
    Promise.resolve(refreshing).then(
      () => {
        if (this.call.finished) return this.release();
        this.attempt(this.call.clock.now(), undefined);
      },
      () => this.settle(failure),
    );
  }

  private settle(outcome: Outcome<unknown>): void {
    this.release();
    this.call.settle(this, outcome);
  }

  /**
   * Whether the deadline ending this run says something about the instance: an attempt was
   * running, or the run waits out a backoff after a failure that was the instance's. A run that
   * waits for a credential refresh (after a 401) or after a failure that was not the instance's
   * does not count against its breaker.
   */
  get deadlineCounts(): boolean {
    return this.current !== undefined || this.instanceFault;
  }

  /** The call ended while this instance still ran or waited: its attempts end with it. */
  halt(reason: unknown): void {
    if (this.race !== undefined) this.race.halt(reason);
    else if (this.current !== undefined && !this.current.done) this.current.abort(reason);
    this.release();
  }

  private release(): void {
    const release = this.releaseSlot;
    this.releaseSlot = undefined;
    release?.();
  }
}
