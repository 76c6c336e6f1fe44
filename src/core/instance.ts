/**
 * One backend instance a request can be sent to: a region, a tenant's deployment, a shard.
 *
 * Instances are plain data so routers can build them from any source (a static list, a
 * database row, a policy file).
 */
export interface Instance {
  /** Unique within a router; used in reports, errors and breaker keys. */
  readonly id: string;
  /** Base URL for remote instances. */
  readonly url?: string;
  readonly region?: string;
  /** Relative weight for weighted selection. */
  readonly weight?: number;
  readonly tags?: readonly string[];
  /** Free-form data for workers (credentials lookup keys, `replicas` for hedging, …). */
  readonly meta?: Readonly<Record<string, unknown>>;
}
