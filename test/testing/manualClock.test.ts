import { expect, test } from 'vitest';
import { createBreakers } from '../../src/breaker/index.js';
import { createManualClock, seededRandom } from '../../src/testing/index.js';

test('time starts where asked and moves only when advanced', () => {
  const clock = createManualClock(1_000);
  expect(clock.now()).toBe(1_000);
  clock.advance(250);
  expect(clock.now()).toBe(1_250);
});

test('advance runs the timers that fall due, in time order, each seeing its own time', () => {
  const clock = createManualClock();
  const fired: string[] = [];
  clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
  clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
  clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30);
  clock.advance(25);
  expect(fired).toEqual(['a@10', 'b@20']);
  expect(clock.now()).toBe(25);
  expect(clock.pending()).toBe(1);
});

test('timers due at the same time run in the order they were set', () => {
  const clock = createManualClock();
  const fired: number[] = [];
  for (const n of [1, 2, 3]) clock.setTimeout(() => fired.push(n), 5);
  clock.advance(5);
  expect(fired).toEqual([1, 2, 3]);
});

test('a timer set by a timer runs in the same advance when it falls due', () => {
  const clock = createManualClock();
  const fired: number[] = [];
  clock.setTimeout(() => clock.setTimeout(() => fired.push(clock.now()), 10), 10);
  clock.advance(20);
  expect(fired).toEqual([20]);
});

test('a cleared timer never runs', () => {
  const clock = createManualClock();
  let ran = false;
  const handle = clock.setTimeout(() => (ran = true), 10);
  clock.clearTimeout(handle);
  clock.advance(100);
  expect(ran).toBe(false);
  expect(clock.pending()).toBe(0);
});

test('runAll runs every timer and stops a timer that keeps rescheduling itself', () => {
  const clock = createManualClock();
  const fired: number[] = [];
  clock.setTimeout(() => fired.push(clock.now()), 5_000);
  clock.runAll();
  expect(fired).toEqual([5_000]);
  const again = () => clock.setTimeout(again, 1);
  again();
  expect(() => clock.runAll(100)).toThrow(/after 100 timers/);
});

test('advanceAsync lets code that awaits between timers set its next timer', async () => {
  const clock = createManualClock();
  const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
  const steps: number[] = [];
  void (async () => {
    for (let i = 0; i < 3; i += 1) {
      await sleep(100);
      steps.push(clock.now());
    }
  })();
  await clock.advanceAsync(300);
  expect(steps).toEqual([100, 200, 300]);
});

test('drives a breaker through open and half-open without real time', () => {
  const clock = createManualClock();
  const breakers = createBreakers({ clock, policy: { kind: 'consecutive', threshold: 1 }, openMs: 1_000 });
  breakers.report('a', false);
  clock.advance(1_000);
  expect(breakers.state('a')).toBe('half-open');
});

test('seededRandom repeats its sequence for a seed and stays in [0, 1)', () => {
  const one = seededRandom(123);
  const two = seededRandom(123);
  const draws = Array.from({ length: 1_000 }, () => one());
  expect(draws).toEqual(Array.from({ length: 1_000 }, () => two()));
  expect(draws.every((d) => d >= 0 && d < 1)).toBe(true);
  expect(new Set(draws).size).toBeGreaterThan(990);
  expect(seededRandom(124)()).not.toBe(seededRandom(123)());
});
