import { parseOptions, positiveInteger } from '../_internal/validate.js';

/** Recent latencies of one instance, for adaptive hedging. */
export interface LatencyWindow {
  /** Adds one latency (ms); the oldest falls out once the window is full. */
  record(ms: number): void;
  /** The `p` (0..1) percentile of the window (nearest rank), or undefined until it holds enough samples. */
  percentile(p: number): number | undefined;
}

/** Fewer samples than this give no percentile: hedging then falls back to its fixed delay. */
export const MIN_SAMPLES = 10;

export interface LatencyWindowOptions {
  /** Samples kept; memory is fixed at this. @default 100 */
  size?: number;
}

function lowerBound(sorted: Float64Array, length: number, value: number): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Creates a sliding window of the last `size` latencies, so hedging can wait for an observed
 * percentile instead of a guessed delay.
 *
 * A ring buffer remembers arrival order and a second array stays sorted: `record` is O(size)
 * (one binary search and one block move each for the evicted and the new sample) and
 * `percentile` is O(1), which suits a hot path that asks on every call.
 */
export function createLatencyWindow(options: LatencyWindowOptions = {}): LatencyWindow {
  const size = options.size ?? 100;
  parseOptions(positiveInteger, size, 'size');
  const ring = new Float64Array(size);
  const sorted = new Float64Array(size);
  let count = 0;
  let next = 0;
  return {
    record(ms) {
      if (!Number.isFinite(ms)) return;
      if (count === size) {
        const evicted = lowerBound(sorted, count, ring[next]!);
        sorted.copyWithin(evicted, evicted + 1, count);
        count -= 1;
      }
      const at = lowerBound(sorted, count, ms);
      sorted.copyWithin(at + 1, at, count);
      sorted[at] = ms;
      count += 1;
      ring[next] = ms;
      next = (next + 1) % size;
    },
    percentile(p) {
      if (count < Math.min(MIN_SAMPLES, size) || !(p >= 0 && p <= 1)) return undefined;
      return sorted[Math.max(0, Math.ceil(p * count) - 1)];
    },
  };
}
