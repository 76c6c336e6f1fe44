/** Whether a node takes requests: `draining` ones only when no `active` one of the tier can. */
export type NodeStatus = 'active' | 'draining' | 'down';

/** One federation node (a database, a deployment) as the directory holds it. */
export interface FederationNode {
  readonly id: string;
  readonly region: string;
  readonly status: NodeStatus;
  /** Higher goes first among the candidates of one tier. */
  readonly priority: number;
  /** The node's service base URL; becomes the routed instance's `url`. */
  readonly url?: string;
  /**
   * The node's database connection string, for per-node client pools only. It may hold a
   * password: switchyard never puts it in an instance, an error, a report or a hook.
   */
  readonly databaseUrl?: string;
  readonly meta?: Readonly<Record<string, unknown>>;
}

/** A routing rule of one tenant (a `federation_routing` row): in `region`, use `nodeId`. */
export interface FederationRule {
  readonly region: string;
  readonly nodeId: string;
  /** Primary rules are tried first; the others are the secondaries (failover). */
  readonly primary: boolean;
  /** Relative share among the candidates of one tier and priority; 0 takes no traffic. */
  readonly weight: number;
}

/** Where one tenant lives (a `tenant_federation_map` row and its `federation_routing` rules). */
export interface TenantPlacement {
  readonly tenantId: string;
  readonly primaryNodeId: string;
  readonly primaryRegion: string;
  readonly rules: readonly FederationRule[];
  readonly meta?: Readonly<Record<string, unknown>>;
}

/** What changed in a directory: one node, one tenant, a user's realms, or possibly everything. */
export type DirectoryChange =
  | { readonly type: 'node'; readonly id: string }
  | { readonly type: 'tenant'; readonly id: string }
  | { readonly type: 'realm'; readonly id: string }
  | { readonly type: 'reload' };

/**
 * Where tenants and nodes live: memory for tests and static setups, PostgreSQL
 * (`switchyard/postgres`) for a shared directory that changes at run time.
 *
 * Lookups may answer synchronously (from a cache) or with a promise. `undefined` means "no such
 * tenant / node"; a failing lookup rejects and is never read as "unknown".
 */
export interface FederationDirectory {
  tenant(tenantId: string): TenantPlacement | undefined | Promise<TenantPlacement | undefined>;
  node(nodeId: string): FederationNode | undefined | Promise<FederationNode | undefined>;
  /** Calls `listener` after each change (at least once; a watcher re-reads what it needs); returns the unsubscribe function. */
  watch?(listener: (change: DirectoryChange) => void): () => void;
}
