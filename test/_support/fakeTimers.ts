import { afterEach, beforeEach, expect, vi } from 'vitest';

/** Fake timers from clock 0 for each test, and a check after it that no timer was left behind. */
export function useFakeTimersFromZero(): void {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
  });
  afterEach(() => {
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });
}
