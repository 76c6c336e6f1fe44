import { expect, test, vi } from 'vitest';
import { useFakeTimersFromZero } from '../_support/fakeTimers.js';
import { isSwitchyardError } from '../../src/errors/SwitchyardError.js';
import { createBudget } from '../../src/execute/budget.js';

useFakeTimersFromZero();

function withdrawAll(budget: ReturnType<typeof createBudget>, limit = 10_000): number {
  let taken = 0;
  while (taken < limit && budget.tryWithdraw()) taken += 1;
  return taken;
}

test('with no traffic, allows minPerSecond × window seconds extra attempts', () => {
  const budget = createBudget({ ratio: 0.1, minPerSecond: 2, windowMs: 5_000 });
  expect(withdrawAll(budget)).toBe(10);
});

test('each first attempt earns `ratio` of an extra attempt on top of the reserve', () => {
  const budget = createBudget({ ratio: 0.1, minPerSecond: 0, windowMs: 10_000 });
  for (let i = 0; i < 100; i += 1) budget.recordRequest();
  expect(withdrawAll(budget)).toBe(10);
});

test('caps extra load at ratio × first attempts + reserve under sustained traffic', () => {
  const budget = createBudget({ ratio: 0.2, minPerSecond: 1, windowMs: 10_000 });
  let first = 0;
  let extra = 0;
  for (let ms = 0; ms < 60_000; ms += 10) {
    vi.setSystemTime(ms);
    budget.recordRequest();
    first += 1;
    if (budget.tryWithdraw()) extra += 1;
  }
  // Every 10 s window: 1000 first attempts × 0.2 + 10 reserve = 210 at most.
  expect(extra).toBeLessThanOrEqual(6 * 210);
  expect(extra / first).toBeGreaterThan(0.19);
  expect(extra / first).toBeLessThan(0.22);
});

test('withdrawals older than the window are returned to the budget', () => {
  const budget = createBudget({ ratio: 0, minPerSecond: 1, windowMs: 5_000 });
  expect([budget.tryWithdraw(), budget.tryWithdraw()]).toEqual([true, true]);
  vi.advanceTimersByTime(2_500);
  expect(withdrawAll(budget)).toBe(3);
  vi.advanceTimersByTime(2_499);
  expect(budget.tryWithdraw()).toBe(false);
  vi.advanceTimersByTime(1);
  expect(withdrawAll(budget)).toBe(2);
  vi.advanceTimersByTime(2_500);
  expect(withdrawAll(budget)).toBe(3);
});

test('first attempts older than the window stop earning extra attempts', () => {
  const budget = createBudget({ ratio: 0.5, minPerSecond: 0, windowMs: 1_000 });
  for (let i = 0; i < 10; i += 1) budget.recordRequest();
  vi.advanceTimersByTime(1_000);
  expect(budget.tryWithdraw()).toBe(false);
});

test('uses the documented defaults: ratio 0.2, 10 per second over 10 s', () => {
  const budget = createBudget();
  for (let i = 0; i < 1_000; i += 1) budget.recordRequest();
  expect(withdrawAll(budget)).toBe(0.2 * 1_000 + 10 * 10);
});

test('a clock that steps back does not refill the budget', () => {
  const budget = createBudget({ ratio: 0, minPerSecond: 1, windowMs: 2_000 });
  vi.setSystemTime(10_000);
  expect(withdrawAll(budget)).toBe(2);
  vi.setSystemTime(5_000);
  expect(budget.tryWithdraw()).toBe(false);
});

test.each([
  [{ ratio: 1.5 }, 'ratio'],
  [{ minPerSecond: -1 }, 'minPerSecond'],
  [{ windowMs: 0 }, 'windowMs'],
])('rejects %j naming the field', (settings, field) => {
  let thrown: unknown;
  try {
    createBudget(settings);
  } catch (error) {
    thrown = error;
  }
  expect(isSwitchyardError(thrown) && thrown.code).toBe('INVALID_CONFIG');
  expect((thrown as Error).message).toContain(`Expected \`${field}\``);
});
