import type { Clock } from './clock.js';

/**
 * Something the queue can wake: the object itself is the entry, so scheduling allocates nothing.
 * The three `timer*` fields are the queue's bookkeeping; start `timerSlot` at -1.
 */
export interface Timed {
  timerAt: number;
  /** Index in the queue, -1 when not scheduled. */
  timerSlot: number;
  /** Scheduling order: entries due together run in the order they were scheduled. */
  timerSeq: number;
  onTimer(): void;
}

/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2_147_483_647;

/** A callback entry, for callers that schedule a function rather than an object. */
class CallbackEntry implements Timed {
  timerAt = 0;
  timerSlot = -1;
  timerSeq = 0;
  constructor(readonly onTimer: () => void) {}
}

/**
 * Multiplexes the timers of one call (deadline, attempt timeouts, backoff, hedges) onto one
 * clock timer armed for the earliest. A fan-out to N instances sets one timer instead of N + 1,
 * which is most of the executor's cost when workers answer at once. Entries live in an array and
 * know their own slot, so scheduling and cancelling are O(1) and allocate nothing.
 */
export class TimerQueue {
  private readonly entries: Timed[] = [];
  private seq = 0;
  /** The entry time the clock timer serves, and the time it fires (earlier for very long waits). */
  private armedAt = Number.POSITIVE_INFINITY;
  private firesAt = Number.POSITIVE_INFINITY;
  private handle: unknown = undefined;
  private holds = 0;
  private readonly fireBound = () => this.fire();

  constructor(private readonly clock: Clock) {}

  /** Wakes `entry` at the clock time `at`; an entry already scheduled moves. */
  schedule(entry: Timed, at: number): void {
    if (entry.timerSlot >= 0) this.cancel(entry);
    entry.timerAt = at;
    entry.timerSeq = ++this.seq;
    entry.timerSlot = this.entries.length;
    this.entries.push(entry);
    if (at < this.armedAt && this.holds === 0) this.arm();
  }

  cancel(entry: Timed): void {
    const slot = entry.timerSlot;
    if (slot < 0) return;
    entry.timerSlot = -1;
    const last = this.entries.pop()!;
    if (last !== entry) {
      this.entries[slot] = last;
      last.timerSlot = slot;
    }
  }

  /** Defers arming the clock timer until `release`: a call's first steps schedule many entries at once. */
  hold(): void {
    this.holds += 1;
  }

  /** Ends a `hold`; `now`, when the caller just read the clock, saves another read. */
  release(now?: number): void {
    this.holds -= 1;
    if (this.holds === 0) this.arm(now);
  }

  /** Runs `callback` at the clock time `at`; returns a cancel function. */
  at(at: number, callback: () => void): () => void {
    const entry = new CallbackEntry(callback);
    this.schedule(entry, at);
    return () => this.cancel(entry);
  }

  /** Runs `callback` after `ms`; returns a cancel function. */
  after(ms: number, callback: () => void): () => void {
    return this.at(this.clock.now() + ms, callback);
  }

  /** Cancels everything; nothing of this queue stays scheduled. */
  clear(): void {
    for (const entry of this.entries) entry.timerSlot = -1;
    this.entries.length = 0;
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
  }

  private arm(nowHint?: number): void {
    let earliest = Number.POSITIVE_INFINITY;
    for (const entry of this.entries) if (entry.timerAt < earliest) earliest = entry.timerAt;
    if (earliest === this.armedAt) return;
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.armedAt = earliest;
    if (earliest === Number.POSITIVE_INFINITY) return;
    const now = nowHint ?? this.clock.now();
    // setTimeout fires at once for delays past 2^31 - 1 ms: wait in steps instead.
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, earliest - now));
    this.firesAt = now + delay;
    this.handle = this.clock.setTimeout(this.fireBound, delay);
  }

  private fire(): void {
    const firedFor = this.firesAt;
    this.handle = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    // The timer itself is monotonic: what it was armed for is due even if the wall clock stepped
    // back since (NTP), so a deadline cannot be pushed out by a clock change.
    const now = Math.max(this.clock.now(), firedFor);
    const due: Array<{ entry: Timed; seq: number }> = [];
    for (const entry of this.entries) if (entry.timerAt <= now) due.push({ entry, seq: entry.timerSeq });
    due.sort((a, b) => a.seq - b.seq);
    try {
      for (const { entry, seq } of due) {
        // Cancelled or moved by an entry that ran before it.
        if (entry.timerSlot < 0 || entry.timerSeq !== seq) continue;
        this.cancel(entry);
        entry.onTimer();
      }
    } finally {
      if (this.holds === 0) this.arm();
    }
  }
}

export function createTimerQueue(clock: Clock): TimerQueue {
  return new TimerQueue(clock);
}
