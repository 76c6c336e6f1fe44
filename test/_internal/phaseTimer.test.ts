import { expect, it, vi } from 'vitest';
import { systemClock } from '../../src/_internal/clock.js';
import { createPhaseTimer } from '../../src/_internal/phaseTimer.js';
import { useFakeTimersFromZero } from '../_support/fakeTimers.js';

useFakeTimersFromZero();

it('fires once the timeout passes in one running phase', () => {
  const onTimeout = vi.fn();
  createPhaseTimer(systemClock, 1_000, onTimeout).run();
  vi.advanceTimersByTime(999);
  expect(onTimeout).not.toHaveBeenCalled();
  vi.advanceTimersByTime(1);
  expect(onTimeout).toHaveBeenCalledTimes(1);
});

it('does not count paused time, and restarts the count when it runs again', () => {
  const onTimeout = vi.fn();
  const timer = createPhaseTimer(systemClock, 1_000, onTimeout);
  timer.run();
  vi.advanceTimersByTime(800);
  timer.pause();
  vi.advanceTimersByTime(5_000);
  timer.run();
  vi.advanceTimersByTime(999);
  expect(onTimeout).not.toHaveBeenCalled();
  vi.advanceTimersByTime(1);
  expect(onTimeout).toHaveBeenCalledTimes(1);
});

it('keeps one clock timer however often it is run and paused', () => {
  const timer = createPhaseTimer(systemClock, 1_000, () => {});
  for (let i = 0; i < 100; i++) {
    timer.run();
    timer.pause();
  }
  timer.run();
  expect(vi.getTimerCount()).toBe(1);
  timer.stop();
});

it('never fires after stop and leaves no timer behind', () => {
  const onTimeout = vi.fn();
  const timer = createPhaseTimer(systemClock, 1_000, onTimeout);
  timer.run();
  timer.stop();
  timer.run();
  vi.advanceTimersByTime(10_000);
  expect(onTimeout).not.toHaveBeenCalled();
});
