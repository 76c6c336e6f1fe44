import { fnv1a64Into, halves } from './hashKey.js';

/** A node for {@link rendezvousHash}: its id, or the id with a relative weight. */
export type RendezvousNode = string | { readonly id: string; readonly weight?: number };

/** Nodes with their id hashes and weights computed once (the shard router keeps one per policy). */
export interface PreparedNodes<N> {
  readonly nodes: readonly N[];
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  readonly weights: Float64Array;
  /** True when every weight is the same: the highest hash wins, no logarithm needed. */
  readonly uniform: boolean;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function idOf(node: RendezvousNode): string {
  return typeof node === 'string' ? node : node.id;
}

/** Hashes every node id once and checks ids and weights. */
export function prepareNodes<N extends RendezvousNode>(nodes: readonly N[]): PreparedNodes<N> {
  if (!Array.isArray(nodes) || nodes.length === 0) throw new RangeError('Expected `nodes` to be a non-empty array');
  const hi = new Uint32Array(nodes.length);
  const lo = new Uint32Array(nodes.length);
  const weights = new Float64Array(nodes.length);
  const seen = new Set<string>();
  nodes.forEach((node, i) => {
    const id = idOf(node);
    if (typeof id !== 'string' || id === '') throw new RangeError(`Expected \`nodes[${i}]\` to have a non-empty string id`);
    if (seen.has(id)) throw new RangeError(`Expected \`nodes[${i}]\` to have a unique id, "${id}" is repeated`);
    seen.add(id);
    const weight = typeof node === 'string' ? 1 : (node.weight ?? 1);
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
      throw new RangeError(`Expected \`nodes[${i}].weight\` to be a finite number > 0, got ${String(weight)}`);
    }
    fnv1a64Into(id);
    hi[i] = halves.hi;
    lo[i] = halves.lo;
    weights[i] = weight;
  });
  return { nodes, hi, lo, weights, uniform: weights.every((w) => w === weights[0]) };
}

/** Equal weights: -w / ln(u) grows with u, so the largest (a, b) pair wins, compared as integers. */
function pickUniform(hi: Uint32Array, lo: Uint32Array, keyHi: number, keyLo: number): number {
  let best = 0;
  let bestA = -1;
  let bestB = -1;
  for (let i = 0; i < hi.length; i++) {
    const a = fmix32((keyLo ^ lo[i]!) + Math.imul(keyHi ^ hi[i]!, 0x9e3779b1));
    if (a < bestA) continue;
    const b = fmix32((keyHi ^ hi[i]!) ^ Math.imul(a, 0x27d4eb2f));
    if (a > bestA || b > bestB) {
      best = i;
      bestA = a;
      bestB = b;
    }
  }
  return best;
}

/**
 * The index of the winning node for a key already hashed into `halves`: the highest weighted
 * score -w / ln(u), u uniform in (0, 1) from a mix of the key's and the node's hashes.
 */
export function pickPrepared(prepared: PreparedNodes<unknown>, keyHi: number, keyLo: number): number {
  const { hi, lo, weights } = prepared;
  if (prepared.uniform) return pickUniform(hi, lo, keyHi, keyLo);
  let best = -1;
  let bestScore = -Infinity;
  for (let i = 0; i < weights.length; i++) {
    const a = fmix32((keyLo ^ lo[i]!) + Math.imul(keyHi ^ hi[i]!, 0x9e3779b1));
    const b = fmix32((keyHi ^ hi[i]!) ^ Math.imul(a, 0x27d4eb2f));
    // 53 random bits, shifted off zero so the logarithm is finite.
    const u = ((a >>> 5) * 67108864 + (b >>> 6) + 0.5) / 9007199254740992;
    const score = -weights[i]! / Math.log(u);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}

interface Cached {
  readonly prepared: PreparedNodes<RendezvousNode>;
  readonly ids: readonly string[];
}

const cache = new WeakMap<readonly RendezvousNode[], Cached>();

/**
 * The prepared form of a node list, reused while the list holds the same ids and weights: a list
 * passed on every call is hashed once, and a list changed in place is prepared again.
 */
function preparedFor<N extends RendezvousNode>(nodes: readonly N[]): PreparedNodes<N> {
  const cached = Array.isArray(nodes) ? cache.get(nodes) : undefined;
  if (cached !== undefined && cached.ids.length === nodes.length) {
    const { ids, prepared } = cached;
    let same = true;
    for (let i = 0; i < nodes.length && same; i++) {
      const node = nodes[i]!;
      same = typeof node === 'string' ? node === ids[i] : node.id === ids[i] && (node.weight ?? 1) === prepared.weights[i];
    }
    if (same) return prepared as PreparedNodes<N>;
  }
  const prepared = prepareNodes(nodes);
  cache.set(nodes, { prepared, ids: nodes.map((n) => (typeof n === 'string' ? n : n.id)) });
  return prepared;
}

/**
 * Rendezvous (highest random weight) hashing: the node a key belongs to, among named nodes with
 * optional weights.
 *
 * Every node scores the key and the highest score wins, so when a node leaves only its own keys
 * move (each to its runner-up) and when one joins it takes only the keys it now wins. Weights use
 * the logarithmic method (score = -weight / ln(hash)), which gives each node a share of keys
 * proportional to its weight. Costs one hash per node per lookup: for hundreds of numbered
 * buckets that never leave from the middle, {@link jumpHash} is faster.
 *
 * @throws RangeError when `nodes` is empty, an id is empty or repeated, or a weight is not > 0.
 * @example
 * ```ts
 * import { rendezvousHash } from 'switchyard/routing';
 * const node = rendezvousHash('user_42', [{ id: 'eu-1', weight: 2 }, { id: 'eu-2' }]);
 * node.id; // 'eu-1' or 'eu-2', the same for 'user_42' on every replica
 * ```
 */
export function rendezvousHash<N extends RendezvousNode>(key: string, nodes: readonly N[]): N {
  if (typeof key !== 'string') throw new TypeError(`Expected \`key\` to be a string, got ${typeof key}`);
  const prepared = preparedFor(nodes);
  fnv1a64Into(key);
  return nodes[pickPrepared(prepared, halves.hi, halves.lo)]!;
}
