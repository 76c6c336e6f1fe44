import type { CompiledTarget } from './table.js';

/** How a route with several targets spreads requests over them. */
export type Balance = 'smooth' | 'random';

/** Picks the index of the next target among those `available` allows, or -1 when none is. */
export type Picker = (available: (target: CompiledTarget) => boolean) => number;

/**
 * Smooth weighted round-robin (nginx's): over any window of `sum(weights)` picks each target gets
 * exactly its weight, interleaved rather than in bursts. Unavailable targets are left out of the
 * round, so their share goes to the others in proportion to their weights.
 */
function smooth(targets: readonly CompiledTarget[]): Picker {
  const current = targets.map(() => 0);
  return (available) => {
    let total = 0;
    let best = -1;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      if (!available(target)) continue;
      current[i]! += target.weight;
      total += target.weight;
      if (best === -1 || current[i]! > current[best]!) best = i;
    }
    if (best !== -1) current[best]! -= total;
    return best;
  };
}

/**
 * Weighted random: needs no shared state, so many processes that start together do not all send
 * their first request to the same target.
 */
function weightedRandom(targets: readonly CompiledTarget[], random: () => number): Picker {
  return (available) => {
    let total = 0;
    for (const target of targets) if (available(target)) total += target.weight;
    if (total === 0) return -1;
    let point = random() * total;
    let lastAvailable = -1;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      if (!available(target)) continue;
      lastAvailable = i;
      point -= target.weight;
      if (point < 0) return i;
    }
    return lastAvailable;
  };
}

/** A picker for one route's targets; a route with one target needs no state. */
export function createPicker(targets: readonly CompiledTarget[], balance: Balance, random: () => number): Picker {
  if (targets.length === 1) {
    const only = targets[0]!;
    return (available) => (available(only) ? 0 : -1);
  }
  return balance === 'random' ? weightedRandom(targets, random) : smooth(targets);
}
