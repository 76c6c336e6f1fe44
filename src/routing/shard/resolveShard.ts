import type { Policy } from './policyTypes.js';
import { fnv1a64Into, halves } from './hashKey.js';
import { jump32 } from './jumpHash.js';
import { pickPrepared, prepareNodes, type PreparedNodes } from './rendezvousHash.js';

/** Where a tenant or key is looked up: a tenant id, a shard key, or both (the tenant decides). */
export interface ShardKey {
  readonly tenant?: string | undefined;
  readonly key?: string | undefined;
}

/** How a shard was chosen. `default` means a tenant with no mapping went to the policy's default. */
export type ShardVia = 'tenant' | 'default' | 'range' | 'hash';

/** The shard for one key, or why there is none. */
export type Resolution =
  | { readonly ok: true; readonly shard: string; readonly via: ShardVia }
  | { readonly ok: false; readonly code: 'NO_SHARD_KEY' | 'UNKNOWN_TENANT' };

interface Compiled {
  readonly tenants: ReadonlyMap<string, string>;
  /** Prefix lengths, longest first, with the ranges of each length. */
  readonly ranges: readonly (readonly [number, ReadonlyMap<string, string>])[];
  readonly hashShards: readonly string[];
  readonly rendezvous?: PreparedNodes<{ id: string; weight: number }>;
}

const compiled = new WeakMap<Policy, Compiled>();

function compile(policy: Policy): Compiled {
  let found = compiled.get(policy);
  if (found !== undefined) return found;
  const byLength = new Map<number, Map<string, string>>();
  for (const range of policy.ranges) {
    let map = byLength.get(range.prefix.length);
    if (map === undefined) byLength.set(range.prefix.length, (map = new Map()));
    map.set(range.prefix, range.shard);
  }
  const hashShards = policy.hash.shards;
  found = {
    tenants: new Map(Object.entries(policy.tenants)),
    ranges: [...byLength.entries()].sort((a, b) => b[0] - a[0]),
    hashShards,
    ...(policy.hash.algorithm === 'rendezvous'
      ? { rendezvous: prepareNodes(hashShards.map((id) => ({ id, weight: policy.shards[id]!.weight }))) }
      : {}),
  };
  compiled.set(policy, found);
  return found;
}

/** The hashed shard of a key: jump over the hash shards in order, or weighted rendezvous. */
function hashed(policy: Compiled, key: string): string {
  fnv1a64Into(key);
  const index =
    policy.rendezvous === undefined
      ? jump32(halves.hi, halves.lo, policy.hashShards.length)
      : pickPrepared(policy.rendezvous, halves.hi, halves.lo);
  return policy.hashShards[index]!;
}

/**
 * The shard of a tenant or key under a policy: tenant map (or the default for unmapped tenants),
 * else the longest matching key prefix, else the hash. Never a shard the policy does not list.
 */
export function resolveShard(policy: Policy, key: ShardKey): Resolution {
  const c = compile(policy);
  if (key.tenant !== undefined) {
    const shard = c.tenants.get(key.tenant);
    if (shard !== undefined) return { ok: true, shard, via: 'tenant' };
    if (policy.default !== undefined) return { ok: true, shard: policy.default, via: 'default' };
    return { ok: false, code: 'UNKNOWN_TENANT' };
  }
  const text = key.key;
  if (text === undefined || text === '') return { ok: false, code: 'NO_SHARD_KEY' };
  for (const [length, prefixes] of c.ranges) {
    if (text.length < length) continue;
    const shard = prefixes.get(text.slice(0, length));
    if (shard !== undefined) return { ok: true, shard, via: 'range' };
  }
  return { ok: true, shard: hashed(c, text), via: 'hash' };
}
