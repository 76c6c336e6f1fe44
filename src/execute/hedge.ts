import { REASONS } from '../_internal/abort.js';
import type { Timed } from '../_internal/timerQueue.js';
import type { Instance } from '../router/types.js';
import { Attempt, type AttemptOwner } from './attempt.js';
import { budgetExhausted } from './events.js';
import type { InstanceRun } from './retry.js';

/** Backup targets of an instance: `meta.replicas` as URLs (same instance, other URL) or instances. */
export function replicasOf(instance: Instance): Instance[] {
  const raw = instance.meta?.['replicas'];
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((replica, index): Instance[] => {
    if (typeof replica === 'string') return [{ ...instance, id: `${instance.id}#${index + 1}`, url: replica }];
    if (typeof replica === 'object' && replica !== null && typeof (replica as Instance).id === 'string') {
      return [replica as Instance];
    }
    return [];
  });
}

/** When a backup of an attempt on `instance` is due: the observed percentile, else the fixed delay. */
export function hedgeDelay(run: InstanceRun): number | undefined {
  const hedge = run.call.config.hedge;
  if (hedge === undefined) return undefined;
  if (hedge.percentile !== undefined) {
    const observed = hedge.latency(run.instance.id, run.call.operation).percentile(hedge.percentile);
    if (observed !== undefined) return observed;
  }
  return hedge.delayMs;
}

/**
 * Races hedges against a primary attempt that is already running: the first success wins and the
 * others are aborted. A failure (403, 404, error) never cancels an attempt that may still succeed:
 * the race ends on a success or when the last running attempt settles, with the most telling
 * failure. Built only once the first hedge is due, so an armed but idle hedge costs nothing but the
 * primary's one timer entry.
 */
export class HedgeRace implements AttemptOwner, Timed {
  private readonly attempts: Attempt[];
  private readonly replicas: Instance[];
  private running = 1;
  private hedges = 0;
  private done = false;
  /** The failure the race ends with if nothing succeeds. */
  private failed: Attempt | undefined = undefined;
  timerAt = 0;
  timerSlot = -1;
  timerSeq = 0;

  constructor(
    private readonly run: InstanceRun,
    primary: Attempt,
    private readonly delay: number,
  ) {
    primary.owner = this;
    this.attempts = [primary];
    this.replicas = replicasOf(run.instance);
  }

  /** Starts a backup (budget permitting) and schedules the next one while more are allowed. */
  hedge(): void {
    const call = this.run.call;
    if (this.done || call.finished) return;
    if (call.config.budget !== undefined && !call.config.budget.tryWithdraw()) {
      budgetExhausted(call, this.run.instance, 'hedge');
      return;
    }
    this.hedges += 1;
    const now = call.clock.now();
    const target = this.replicas.length > 0 ? this.replicas[(this.hedges - 1) % this.replicas.length]! : this.run.instance;
    const attempt = new Attempt(call, this.run, target, true, now, undefined);
    attempt.owner = this;
    this.attempts.push(attempt);
    this.running += 1;
    attempt.begin();
    if (this.hedges < call.config.hedge!.maxHedges && call.deadline - now > this.delay) call.timers.schedule(this, now + this.delay);
  }

  onTimer(): void {
    this.hedge();
  }

  attemptEnded(attempt: Attempt): void {
    this.running -= 1;
    if (this.done) return;
    if (attempt.ok || this.run.call.finished) return this.end(attempt);
    // A definite answer (403, 404, a permanent error) tells more than a retryable failure or a cancellation.
    const failed = this.failed;
    if (failed === undefined || (!(!failed.cancelled && !failed.classification!.retryable) && !attempt.cancelled)) this.failed = attempt;
    if (this.running === 0) this.end(this.failed!);
  }

  /** The call ended: every attempt of the race ends with it. */
  halt(reason: unknown): void {
    this.done = true;
    this.run.call.timers.cancel(this);
    for (const attempt of this.attempts) if (!attempt.done) attempt.abort(reason);
  }

  private end(result: Attempt): void {
    this.done = true;
    this.run.call.timers.cancel(this);
    // The winner's signal stays live: its answer may still be streaming.
    for (const attempt of this.attempts) if (attempt !== result || !result.ok) attempt.abort(REASONS.hedgeLost);
    this.run.roundEnded(result);
  }
}
