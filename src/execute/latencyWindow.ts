/** Recent latencies of one instance, for adaptive hedging. */
export interface LatencyWindow {
  record(ms: number): void;
  /** The `p` (0..1) percentile of the window, or undefined until it holds enough samples. */
  percentile(p: number): number | undefined;
}

/** Fewer samples than this give no percentile: hedging then falls back to its fixed delay. */
const MIN_SAMPLES = 10;

/**
 * A ring buffer of the last `size` latencies. Percentiles sort a copy, cached until the next
 * record, so a burst of calls between two samples pays for one sort.
 */
export function createLatencyWindow(options: { size: number }): LatencyWindow {
  const samples = new Float64Array(options.size);
  let count = 0;
  let next = 0;
  let sorted: Float64Array | undefined;
  return {
    record(ms) {
      samples[next] = ms;
      next = (next + 1) % options.size;
      if (count < options.size) count += 1;
      sorted = undefined;
    },
    percentile(p) {
      if (count < MIN_SAMPLES) return undefined;
      sorted ??= samples.slice(0, count).sort();
      return sorted[Math.min(count - 1, Math.floor(p * count))];
    },
  };
}
