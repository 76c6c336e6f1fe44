import { parseOptions } from '../_internal/validate.js';
import { expected } from '../_internal/validate.js';

/**
 * Creates a seeded random source in [0, 1) (mulberry32), so fault injection and jitter repeat
 * exactly from one run to the next. Pass it as a fanout's `random` to make its jitter repeat too.
 *
 * @example
 * const random = seededRandom(42);
 * random(); // the same sequence for every run with seed 42
 */
export function seededRandom(seed: number): () => number {
  parseOptions(expected<number>('an integer', (v) => Number.isInteger(v)), seed, 'seed');
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Mixes a seed with a stream number so each fake instance draws from its own sequence. */
export function deriveSeed(seed: number, stream: number): number {
  let h = (seed ^ Math.imul(stream + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
