import { expect, test } from 'vitest';
import { isSwitchyardError } from '../../src/errors/SwitchyardError.js';
import { createLatencyWindow } from '../../src/execute/latencyWindow.js';

function filled(values: number[], size?: number) {
  const window = createLatencyWindow(size === undefined ? {} : { size });
  for (const value of values) window.record(value);
  return window;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('gives no percentile until it holds 10 samples', () => {
  const window = filled(range(1, 9));
  expect(window.percentile(0.5)).toBeUndefined();
  window.record(10);
  expect(window.percentile(0.5)).toBe(5);
});

test('answers nearest-rank percentiles of the samples', () => {
  const window = filled(range(1, 100).reverse());
  expect([window.percentile(0), window.percentile(0.5), window.percentile(0.9), window.percentile(0.99), window.percentile(1)]).toEqual([1, 50, 90, 99, 100]);
});

test('keeps only the last `size` samples', () => {
  const window = filled([...range(1000, 1019), ...range(1, 20)], 20);
  expect(window.percentile(1)).toBe(20);
  expect(window.percentile(0)).toBe(1);
});

test('a slow outlier leaves the percentile once it falls out of the window', () => {
  const window = createLatencyWindow({ size: 10 });
  window.record(5_000);
  for (let i = 0; i < 9; i += 1) window.record(10);
  expect(window.percentile(1)).toBe(5_000);
  window.record(10);
  expect(window.percentile(1)).toBe(10);
});

test('matches a sorted copy of the last `size` samples under random traffic', () => {
  let seed = 42;
  const next = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31) * 500;
  const window = createLatencyWindow({ size: 50 });
  const all: number[] = [];
  for (let i = 0; i < 1_000; i += 1) {
    const value = Math.round(next());
    all.push(value);
    window.record(value);
    if (all.length < 10) continue;
    const recent = all.slice(-50).sort((x, y) => x - y);
    const p = (i % 10) / 10 + 0.05;
    expect(window.percentile(p)).toBe(recent[Math.ceil(p * recent.length) - 1]);
  }
});

test('a window smaller than 10 answers once it is full', () => {
  const window = filled([3, 1, 2], 3);
  expect(window.percentile(0.5)).toBe(2);
});

test('ignores non-finite samples and answers undefined for p outside 0..1', () => {
  const window = filled([...range(1, 10), Number.NaN, Number.POSITIVE_INFINITY]);
  expect(window.percentile(1)).toBe(10);
  expect(window.percentile(1.5)).toBeUndefined();
});

test('uses 100 samples by default', () => {
  const window = filled([...range(1, 100), ...range(1001, 1050)], undefined);
  expect(window.percentile(0)).toBe(51);
});

test('rejects a size that is not a positive integer', () => {
  let thrown: unknown;
  try {
    createLatencyWindow({ size: 0 });
  } catch (error) {
    thrown = error;
  }
  expect(isSwitchyardError(thrown) && (thrown as Error).message).toContain('Expected `size` to be an integer >= 1, got 0');
});
