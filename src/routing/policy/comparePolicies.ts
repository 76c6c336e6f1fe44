import { resolveShard, type ShardKey } from '../shard/resolveShard.js';
import type { Policy } from './types.js';

/** What changes between two policies. Instance URLs are never listed: they may come from secrets. */
export interface PolicyDiff {
  readonly shardsAdded: readonly string[];
  readonly shardsRemoved: readonly string[];
  /** Shards whose instances (ids, URLs, weights) changed. */
  readonly shardsChanged: readonly string[];
  readonly tenantsMoved: readonly { tenant: string; from: string; to: string }[];
  readonly tenantsAdded: readonly { tenant: string; shard: string }[];
  readonly tenantsRemoved: readonly { tenant: string; shard: string }[];
  readonly prefixesChanged: readonly { prefix: string; from?: string; to?: string }[];
  /** True when the hash algorithm or the list of hashed shards changed: hashed keys may move. */
  readonly hashChanged: boolean;
  readonly defaultChanged?: { from?: string; to?: string };
}

/** One reason a candidate would strand data. */
export interface PolicyCheckProblem {
  readonly kind: 'tenant-moved' | 'tenant-stranded' | 'prefix-moved';
  /** The tenant or prefix affected. */
  readonly subject: string;
  readonly from: string;
  /** Where it would go; undefined when it would fail with UNKNOWN_TENANT. */
  readonly to?: string;
  readonly message: string;
}

/** The outcome of a check: ok when nothing would be stranded, else each affected tenant and prefix. */
export interface PolicyCheck {
  readonly ok: boolean;
  readonly problems: readonly PolicyCheckProblem[];
  /** Every tenant the change affects, for `acknowledge.tenants`. */
  readonly tenants: readonly string[];
  /** Every prefix the change affects, for `acknowledge.prefixes`. */
  readonly prefixes: readonly string[];
}

/** The moves a preview found over a sample of keys. */
export interface PolicyPreview {
  readonly total: number;
  readonly moved: number;
  /** moved / total (0 for no keys). */
  readonly share: number;
  /** Moves per shard pair, `from → to`, most first. */
  readonly flows: readonly { from: string; to: string; keys: number }[];
  /** Up to 20 example keys that move. */
  readonly examples: readonly { key: string; from: string; to: string }[];
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Lists shards added and removed, tenants moved, prefixes changed and hash changes from `a` to `b`. */
export function diffPolicies(a: Policy, b: Policy): PolicyDiff {
  const shardsA = Object.keys(a.shards);
  const shardsB = Object.keys(b.shards);
  const tenantsMoved: { tenant: string; from: string; to: string }[] = [];
  const tenantsAdded: { tenant: string; shard: string }[] = [];
  const tenantsRemoved: { tenant: string; shard: string }[] = [];
  for (const [tenant, from] of Object.entries(a.tenants)) {
    const to = b.tenants[tenant];
    if (to === undefined) tenantsRemoved.push({ tenant, shard: from });
    else if (to !== from) tenantsMoved.push({ tenant, from, to });
  }
  for (const [tenant, shard] of Object.entries(b.tenants)) if (a.tenants[tenant] === undefined) tenantsAdded.push({ tenant, shard });
  const rangesA = new Map(a.ranges.map((r) => [r.prefix, r.shard]));
  const rangesB = new Map(b.ranges.map((r) => [r.prefix, r.shard]));
  const prefixesChanged: { prefix: string; from?: string; to?: string }[] = [];
  for (const prefix of new Set([...rangesA.keys(), ...rangesB.keys()])) {
    const from = rangesA.get(prefix);
    const to = rangesB.get(prefix);
    if (from !== to) prefixesChanged.push({ prefix, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) });
  }
  const diff: { -readonly [K in keyof PolicyDiff]: PolicyDiff[K] } = {
    shardsAdded: shardsB.filter((s) => a.shards[s] === undefined),
    shardsRemoved: shardsA.filter((s) => b.shards[s] === undefined),
    shardsChanged: shardsA.filter((s) => b.shards[s] !== undefined && !sameJson(a.shards[s], b.shards[s])),
    tenantsMoved,
    tenantsAdded,
    tenantsRemoved,
    prefixesChanged,
    hashChanged: !sameJson(a.hash, b.hash) || shardsA.some((s) => b.shards[s] !== undefined && a.shards[s]!.weight !== b.shards[s]!.weight),
  };
  if (a.default !== b.default) {
    diff.defaultChanged = { ...(a.default === undefined ? {} : { from: a.default }), ...(b.default === undefined ? {} : { to: b.default }) };
  }
  return diff;
}

/**
 * Finds what activating `candidate` over `current` would strand: tenants whose shard is removed,
 * tenants moved to another shard (their data stays behind), prefixes that now go elsewhere.
 */
export function checkPolicy(current: Policy | undefined, candidate: Policy): PolicyCheck {
  const problems: PolicyCheckProblem[] = [];
  if (current !== undefined) {
    for (const [tenant, from] of Object.entries(current.tenants)) {
      const resolution = resolveShard(candidate, { tenant });
      const to = resolution.ok ? resolution.shard : undefined;
      if (to === from) continue;
      const removed = candidate.shards[from] === undefined;
      problems.push({
        kind: removed ? 'tenant-stranded' : 'tenant-moved',
        subject: tenant,
        from,
        ...(to === undefined ? {} : { to }),
        message: removed
          ? `tenant "${tenant}": shard "${from}" is removed while it holds this tenant's data`
          : to === undefined
            ? `tenant "${tenant}": no longer mapped (calls would fail with UNKNOWN_TENANT), its data is on "${from}"`
            : `tenant "${tenant}": moves from "${from}" to "${to}", its data is on "${from}"`,
      });
    }
    for (const range of current.ranges) {
      const resolution = resolveShard(candidate, { key: range.prefix });
      const to = resolution.ok ? resolution.shard : undefined;
      const still = candidate.ranges.find((r) => r.prefix === range.prefix);
      if (still !== undefined && still.shard === range.shard) continue;
      if (still === undefined && to === range.shard) continue;
      problems.push({
        kind: 'prefix-moved',
        subject: range.prefix,
        from: range.shard,
        ...(to === undefined ? {} : { to }),
        message:
          candidate.shards[range.shard] === undefined
            ? `prefix "${range.prefix}": shard "${range.shard}" is removed while it holds these keys`
            : `prefix "${range.prefix}": moves from "${range.shard}"${still === undefined ? ' (range removed)' : ` to "${still.shard}"`}`,
      });
    }
  }
  return {
    ok: problems.length === 0,
    problems,
    tenants: problems.filter((p) => p.kind !== 'prefix-moved').map((p) => p.subject),
    prefixes: problems.filter((p) => p.kind === 'prefix-moved').map((p) => p.subject),
  };
}

function describe(policy: Policy, key: ShardKey): string {
  const resolution = resolveShard(policy, key);
  return resolution.ok ? resolution.shard : resolution.code;
}

/** Which of a sample of keys would go to another shard under `candidate` than under `current`. */
export function previewPolicy(current: Policy | undefined, candidate: Policy, keys: Iterable<string | ShardKey>): PolicyPreview {
  let total = 0;
  let moved = 0;
  const flows = new Map<string, { from: string; to: string; keys: number }>();
  const examples: { key: string; from: string; to: string }[] = [];
  for (const raw of keys) {
    total++;
    if (current === undefined) continue;
    const key: ShardKey = typeof raw === 'string' ? { key: raw } : raw;
    const from = describe(current, key);
    const to = describe(candidate, key);
    if (from === to) continue;
    moved++;
    const id = `${from}\u0000${to}`;
    const flow = flows.get(id) ?? { from, to, keys: 0 };
    flow.keys++;
    flows.set(id, flow);
    if (examples.length < 20) examples.push({ key: typeof raw === 'string' ? raw : (raw.tenant ?? raw.key ?? ''), from, to });
  }
  return {
    total,
    moved,
    share: total === 0 ? 0 : moved / total,
    flows: [...flows.values()].sort((x, y) => y.keys - x.keys),
    examples,
  };
}
