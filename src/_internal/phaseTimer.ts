import type { Clock } from './clock.js';

/** A timeout that counts only while it runs; see {@link createPhaseTimer}. */
export interface PhaseTimer {
  /** Starts (or restarts) counting `ms` from now. */
  run(): void;
  /** Stops counting until the next `run`; time spent paused never adds up to a timeout. */
  pause(): void;
  /** Stops for good and clears the clock timer; `onTimeout` can no longer be called. */
  stop(): void;
}

/**
 * A timeout over the phases of one piece of work in which someone else is to blame for the wait:
 * `onTimeout` is called once `ms` pass in a single running phase. `run`/`pause` may be called for
 * every chunk of a stream, so they only record the time: one clock timer serves the whole work,
 * re-armed for what is left when it fires early, instead of a timer set and cleared per phase.
 * Nothing is scheduled after `stop`, or after it fired.
 */
export function createPhaseTimer(clock: Clock, ms: number, onTimeout: () => void): PhaseTimer {
  /** When the running phase began; undefined while paused or stopped. */
  let since: number | undefined;
  let handle: unknown;
  let stopped = false;

  const fire = () => {
    handle = undefined;
    if (since === undefined) return;
    const left = since + ms - clock.now();
    if (left > 0) {
      handle = clock.setTimeout(fire, left);
      return;
    }
    stopped = true;
    since = undefined;
    onTimeout();
  };

  return {
    run() {
      if (stopped) return;
      since = clock.now();
      if (handle === undefined) handle = clock.setTimeout(fire, ms);
    },
    pause() {
      since = undefined;
    },
    stop() {
      stopped = true;
      since = undefined;
      if (handle !== undefined) clock.clearTimeout(handle);
      handle = undefined;
    },
  };
}
