import * as z from 'zod/mini';
import type { Instance } from '../../router/types.js';
import { formatPath, type Path } from './_env.js';
import type { Policy, PolicyDocument, PolicyRange, PolicyShard } from './types.js';

/** One problem in a policy document: where, and what to fix. */
export interface PolicyProblem {
  readonly path: Path;
  readonly message: string;
}

const ID = /^[A-Za-z0-9_.:-]+$/;

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}

const id = z.string().check(z.regex(ID, { error: 'expected an id of letters, digits, "_", ".", ":" or "-"' }));
const positive = z.number().check(z.refine((v) => Number.isFinite(v) && v > 0, { error: 'expected a finite number > 0' }));

const instanceSchema = z.strictObject({
  id: z.optional(id),
  url: z.custom<string>(isHttpUrl, { error: 'expected an absolute http(s) URL' }),
  region: z.optional(z.string()),
  weight: z.optional(positive),
  tags: z.optional(z.array(z.string())),
});

const shardSchema = z.strictObject({
  instances: z.array(instanceSchema).check(z.minLength(1, { error: 'expected at least one instance' })),
  weight: z.optional(positive),
});

const documentSchema = z.strictObject({
  version: z.literal(1, { error: 'expected 1 (the policy format version)' }),
  shards: z.record(id, shardSchema),
  tenants: z.optional(z.record(z.string().check(z.minLength(1)), z.string())),
  ranges: z.optional(
    z.array(z.strictObject({ prefix: z.string().check(z.minLength(1, { error: 'expected a non-empty prefix' })), shard: z.string() })),
  ),
  hash: z.optional(
    z.strictObject({
      algorithm: z.optional(z.enum(['jump', 'rendezvous'], { error: 'expected "jump" or "rendezvous"' })),
      shards: z.optional(z.array(z.string()).check(z.minLength(1, { error: 'expected at least one shard' }))),
    }),
  ),
  default: z.optional(z.string()),
});

type Document = z.output<typeof documentSchema>;

function describeIssue(issue: z.core.$ZodIssue): PolicyProblem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...path, key], message: 'unknown key' }));
  }
  if (issue.code === 'invalid_type') {
    return [{ path, message: issue.input === undefined ? `required (expected ${issue.expected})` : `expected ${issue.expected}` }];
  }
  if (issue.code === 'invalid_key') return [{ path, message: issue.issues[0]?.message ?? 'invalid key' }];
  return [{ path, message: issue.message }];
}

function references(document: Document): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const shardIds = Object.keys(document.shards);
  const known = new Set(shardIds);
  if (shardIds.length === 0) problems.push({ path: ['shards'], message: 'expected at least one shard' });
  const unknown = (shard: string) => `unknown shard "${shard}"`;
  for (const [tenant, shard] of Object.entries(document.tenants ?? {})) {
    if (!known.has(shard)) problems.push({ path: ['tenants', tenant], message: unknown(shard) });
  }
  const prefixes = new Map<string, number>();
  (document.ranges ?? []).forEach((range, i) => {
    if (!known.has(range.shard)) problems.push({ path: ['ranges', i, 'shard'], message: unknown(range.shard) });
    const first = prefixes.get(range.prefix);
    if (first !== undefined) {
      problems.push({ path: ['ranges', i], message: `prefix ${JSON.stringify(range.prefix)} duplicates ranges[${first}]` });
    } else prefixes.set(range.prefix, i);
  });
  const hashed = new Set<string>();
  (document.hash?.shards ?? []).forEach((shard, i) => {
    if (!known.has(shard)) problems.push({ path: ['hash', 'shards', i], message: unknown(shard) });
    if (hashed.has(shard)) problems.push({ path: ['hash', 'shards', i], message: `shard "${shard}" is listed twice` });
    hashed.add(shard);
  });
  if (document.default !== undefined && !known.has(document.default)) {
    problems.push({ path: ['default'], message: unknown(document.default) });
  }
  const instanceIds = new Map<string, string>();
  for (const [shard, body] of Object.entries(document.shards)) {
    body.instances.forEach((instance, i) => {
      const instanceId = instanceIdOf(shard, body.instances.length, instance.id, i);
      const where = formatPath(['shards', shard, 'instances', i]);
      const other = instanceIds.get(instanceId);
      if (other !== undefined) {
        problems.push({ path: ['shards', shard, 'instances', i, 'id'], message: `instance id "${instanceId}" is also used by ${other}` });
      } else instanceIds.set(instanceId, where);
    });
  }
  return problems;
}

function instanceIdOf(shard: string, count: number, given: string | undefined, index: number): string {
  return given ?? (count === 1 ? shard : `${shard}#${index + 1}`);
}

function build(document: Document, source: PolicyDocument, fromEnv: Record<string, string>): Policy {
  const shards: Record<string, PolicyShard> = {};
  for (const [shardId, body] of Object.entries(document.shards)) {
    const instances: Instance[] = body.instances.map((raw, i) => {
      const instance: { -readonly [K in keyof Instance]: Instance[K] } = {
        id: instanceIdOf(shardId, body.instances.length, raw.id, i),
        url: raw.url,
        meta: { shard: shardId },
      };
      if (raw.region !== undefined) instance.region = raw.region;
      if (raw.weight !== undefined) instance.weight = raw.weight;
      if (raw.tags !== undefined) instance.tags = Object.freeze([...raw.tags]);
      return Object.freeze(instance);
    });
    shards[shardId] = Object.freeze({ id: shardId, instances: Object.freeze(instances), weight: body.weight ?? 1 });
  }
  const ranges: PolicyRange[] = (document.ranges ?? []).map((r) => Object.freeze({ prefix: r.prefix, shard: r.shard }));
  const policy: { -readonly [K in keyof Policy]: Policy[K] } = {
    format: 1,
    shards: Object.freeze(shards),
    tenants: Object.freeze({ ...(document.tenants ?? {}) }),
    ranges: Object.freeze(ranges),
    hash: Object.freeze({
      algorithm: document.hash?.algorithm ?? 'jump',
      shards: Object.freeze([...(document.hash?.shards ?? Object.keys(document.shards))]),
    }),
    source,
    fromEnv: Object.freeze(fromEnv),
  };
  if (document.default !== undefined) policy.default = document.default;
  return Object.freeze(policy);
}

/**
 * Validates a resolved document: zod (its `zod/mini` build, a fraction of the size) for the shape (unknown keys refused), then references
 * between its parts. Returns every problem, or the policy.
 */
export function validateDocument(
  resolved: unknown,
  source: PolicyDocument,
  fromEnv: Record<string, string>,
): { ok: true; policy: Policy } | { ok: false; problems: PolicyProblem[] } {
  const parsed = documentSchema.safeParse(resolved);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.flatMap(describeIssue) };
  const problems = references(parsed.data);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, policy: build(parsed.data, source, fromEnv) };
}
