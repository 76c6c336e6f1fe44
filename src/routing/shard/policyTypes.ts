import type { Instance } from '../../router/types.js';

/** One shard of a {@link Policy}: the instances that serve it (the first is the primary). */
export interface PolicyShard {
  readonly id: string;
  /** Each carries `meta.shard` (the shard id); ids default to `<shard>` or `<shard>#<n>`. */
  readonly instances: readonly Instance[];
  /** Relative share of hashed keys under rendezvous hashing. @default 1 */
  readonly weight: number;
}

/** A key prefix pinned to a shard; the longest matching prefix wins. */
export interface PolicyRange {
  readonly prefix: string;
  readonly shard: string;
}

/** How keys that no tenant or range claims are spread over shards. */
export interface PolicyHash {
  /**
   * `jump`: jump consistent hash over `shards` in order (add shards at the end);
   * `rendezvous`: weighted rendezvous hashing (any shard may leave, only its keys move).
   * @default 'jump'
   */
  readonly algorithm: 'jump' | 'rendezvous';
  /** The shards that take hashed keys, in order. @default every shard, in document order */
  readonly shards: readonly string[];
}

/**
 * A validated routing policy from {@link parsePolicy}: which shard serves each tenant and key.
 *
 * Tenants map to shards first; keys with no tenant go to the shard of their longest matching
 * prefix, then to a hashed shard. `default` serves tenants with no mapping at all.
 */
export interface Policy {
  /** The format version of the document (1). */
  readonly format: 1;
  readonly shards: Readonly<Record<string, PolicyShard>>;
  readonly tenants: Readonly<Record<string, string>>;
  readonly ranges: readonly PolicyRange[];
  readonly hash: PolicyHash;
  /** The shard for tenants the map does not list; without it they fail with `UNKNOWN_TENANT`. */
  readonly default?: string;
  /**
   * The document as written, before `${VAR}` substitution: what a policy store keeps and hashes,
   * so secrets from the environment are never stored and every replica resolves its own.
   */
  readonly source: PolicyDocument;
  /** Paths whose values came from environment variables, with the reference that produced each. */
  readonly fromEnv: Readonly<Record<string, string>>;
}

/** A policy document as JSON (before validation): the shape of the YAML/JSON file. */
export type PolicyDocument = { readonly [key: string]: unknown };
