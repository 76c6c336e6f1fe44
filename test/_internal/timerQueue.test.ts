import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/_internal/clock.js';
import { createTimerQueue, type Timed } from '../../src/_internal/timerQueue.js';

/** A clock whose wall time can be stepped independently of its (monotonic) timers. */
function steppableClock() {
  let wall = 1_000_000;
  const timers = new Map<number, () => void>();
  let seq = 0;
  const clock: Clock = {
    now: () => wall,
    setTimeout(callback, _ms) {
      seq += 1;
      timers.set(seq, callback);
      return seq;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
  };
  return {
    clock,
    step: (ms: number) => (wall += ms),
    fireAll: () => {
      for (const [id, callback] of [...timers]) {
        timers.delete(id);
        callback();
      }
    },
    armed: () => timers.size,
  };
}

describe('timer queue', () => {
  it('runs an entry when its timer fires even if the wall clock stepped back meanwhile', () => {
    const { clock, step, fireAll, armed } = steppableClock();
    const queue = createTimerQueue(clock);
    const fired: string[] = [];
    queue.after(100, () => fired.push('deadline'));
    step(100 - 60_000); // 100 ms pass, and NTP steps the clock back a minute
    fireAll();
    expect(fired).toEqual(['deadline']);
    expect(armed()).toBe(0);
  });

  it('multiplexes entries onto one clock timer and re-arms for the next', () => {
    const { clock, step, fireAll, armed } = steppableClock();
    const queue = createTimerQueue(clock);
    const fired: number[] = [];
    queue.after(10, () => fired.push(10));
    queue.after(20, () => fired.push(20));
    queue.after(30, () => fired.push(30));
    expect(armed()).toBe(1);
    step(10);
    fireAll();
    expect(fired).toEqual([10]);
    step(20);
    fireAll();
    expect(fired).toEqual([10, 20, 30]);
    expect(armed()).toBe(0);
  });

  it('leaves nothing armed after clear', () => {
    const { clock, armed } = steppableClock();
    const queue = createTimerQueue(clock);
    queue.after(10, () => {});
    queue.clear();
    expect(armed()).toBe(0);
  });
});

/** An object entry, as the executor's attempts, runs and calls are. */
function entry(name: string, fired: string[]): Timed {
  return { timerAt: 0, timerSlot: -1, timerSeq: 0, onTimer: () => fired.push(name) };
}

describe('object entries', () => {
  it('arms one clock timer for everything scheduled while held', () => {
    const { clock } = steppableClock();
    let armedTimes = 0;
    const setTimeoutOf = clock.setTimeout;
    clock.setTimeout = (callback, ms) => {
      armedTimes += 1;
      return setTimeoutOf(callback, ms);
    };
    const queue = createTimerQueue(clock);
    const fired: string[] = [];
    queue.hold();
    queue.schedule(entry('deadline', fired), clock.now() + 100);
    queue.schedule(entry('a', fired), clock.now() + 50);
    queue.schedule(entry('b', fired), clock.now() + 40);
    expect(armedTimes).toBe(0);
    queue.release();
    expect(armedTimes).toBe(1);
  });

  it('runs entries due together in the order they were scheduled, skipping cancelled ones', () => {
    const { clock, step, fireAll, armed } = steppableClock();
    const queue = createTimerQueue(clock);
    const fired: string[] = [];
    const [first, second, third, fourth] = ['first', 'second', 'third', 'fourth'].map((name) => entry(name, fired)) as [Timed, Timed, Timed, Timed];
    queue.schedule(first, clock.now() + 30);
    queue.schedule(second, clock.now() + 10);
    queue.schedule(third, clock.now() + 20);
    queue.schedule(fourth, clock.now() + 10);
    queue.cancel(second);
    step(30);
    fireAll();
    expect(fired).toEqual(['first', 'third', 'fourth']);
    expect(armed()).toBe(0);
  });

  it('moves an entry scheduled again instead of running it twice', () => {
    const { clock, step, fireAll } = steppableClock();
    const queue = createTimerQueue(clock);
    const fired: string[] = [];
    const moved = entry('moved', fired);
    queue.schedule(moved, clock.now() + 10);
    queue.schedule(moved, clock.now() + 50);
    step(10);
    fireAll();
    expect(fired).toEqual([]);
    step(40);
    fireAll();
    expect(fired).toEqual(['moved']);
  });
});

describe('very long waits', () => {
  it('waits in steps for a delay past setTimeout\'s limit instead of firing at once', () => {
    const { clock, step, fireAll } = steppableClock();
    const delays: number[] = [];
    const setTimeoutSpy = clock.setTimeout;
    clock.setTimeout = (callback, ms) => {
      delays.push(ms);
      return setTimeoutSpy(callback, ms);
    };
    const queue = createTimerQueue(clock);
    const fired: string[] = [];
    queue.after(3_000_000_000, () => fired.push('late'));
    expect(delays).toEqual([2_147_483_647]);
    step(2_147_483_647);
    fireAll();
    expect(fired).toEqual([]);
    step(3_000_000_000 - 2_147_483_647);
    fireAll();
    expect(fired).toEqual(['late']);
  });
});
