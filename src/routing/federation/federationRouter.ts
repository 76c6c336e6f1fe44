import { callHook } from '../../_internal/callHook.js';
import { expected, fn, parseOptions, v } from '../../_internal/validate.js';
import { SwitchyardError } from '../../errors/SwitchyardError.js';
import type { Instance, InstanceRouter, RouteInput } from '../../router/types.js';
import type { Extractor } from './extract.js';
import type { FederationDirectory, FederationNode, FederationRule, TenantPlacement } from './types.js';

/** How a call was placed: on the tenant's primary tier, its secondary tier, or the default node. */
export type FederationRole = 'primary' | 'secondary' | 'fallback';

/** What the router's hooks see for one routed call. */
export interface FederationRouteState {
  tenant: string;
  /** The region the call asked for, if any. */
  region: string | undefined;
  nodeId: string;
  role: FederationRole;
}

/** Hooks of {@link federationRouter}; each takes one state object and must not throw. */
export interface FederationRouterHooks {
  /** Every routed call. */
  route?(state: FederationRouteState): void;
  /** A call of a tenant with no mapping was sent to the configured default node. */
  fallback?(state: FederationRouteState): void;
  /** A call went to a secondary node because no primary one could take it. */
  failover?(state: FederationRouteState): void;
}

/** Options of {@link federationRouter}. */
export interface FederationRouterOptions {
  directory: FederationDirectory;
  /** Reads the tenant id of a call; a call without one fails with `INVALID_INPUT`. */
  tenant: Extractor;
  /** Reads the region a call asks for. @default the tenant's primary region */
  region?: Extractor;
  /**
   * The node that serves tenants with **no mapping at all**. A mapped tenant whose nodes fail is
   * never sent here. Every call sent here is reported: `meta.fallback` and the `fallback` hook.
   * @default none: an unknown tenant fails with `UNKNOWN_TENANT`
   */
  fallback?: { nodeId: string };
  /**
   * False for a node that must not take calls now, e.g. an open breaker:
   * `(id) => breakers.state(id) !== 'open'`. Such a node is skipped like a `down` one.
   * @default every node is available
   */
  isAvailable?: (nodeId: string) => boolean;
  /** Picks among weighted candidates. @default Math.random */
  random?: () => number;
  on?: FederationRouterHooks;
}

const extractorSchema = expected<Extractor>('an extractor from tenantFrom() or regionFrom()', (v) => typeof v === 'object' && v !== null && typeof (v as Extractor).read === 'function');

const optionsSchema = v.object({
  directory: expected<FederationDirectory>('a FederationDirectory ({ tenant, node })', (v) => typeof v === 'object' && v !== null && typeof (v as FederationDirectory).tenant === 'function' && typeof (v as FederationDirectory).node === 'function'),
  tenant: extractorSchema,
  region: extractorSchema.optional(),
  fallback: v.object({ nodeId: expected<string>('a non-empty string', (v) => typeof v === 'string' && v.length > 0) }).optional(),
  isAvailable: fn<(id: string) => boolean>().optional(),
  random: fn<() => number>().optional(),
  on: v.object({ route: fn().optional(), fallback: fn().optional(), failover: fn().optional() }).optional(),
});


function unavailable(what: string, error: unknown): SwitchyardError {
  // The directory's own error (it may name a database host) stays on `cause`.
  return new SwitchyardError('TENANT_UNAVAILABLE', `The federation directory could not be read (${what})`, { cause: error });
}

function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

/** A directory lookup: synchronous when the directory answers from its cache, failures as TENANT_UNAVAILABLE. */
function read<T>(lookup: () => T | Promise<T>, what: string): T | Promise<T> {
  let result: T | Promise<T>;
  try {
    result = lookup();
  } catch (error) {
    throw unavailable(what, error);
  }
  return isThenable(result) ? result.then(undefined, (error: unknown) => Promise.reject(unavailable(what, error))) : result;
}

interface Candidate {
  node: FederationNode;
  weight: number;
}

/** The rules a call uses: those of the asked region, else the tenant's primary region. */
function rulesFor(placement: TenantPlacement, region: string | undefined): { primary: FederationRule[]; secondary: FederationRule[] } {
  const inRegion = (wanted: string) => placement.rules.filter((rule) => rule.region === wanted);
  let rules = region === undefined ? [] : inRegion(region);
  const home = rules.length === 0;
  if (home) rules = inRegion(placement.primaryRegion);
  const primary = rules.filter((rule) => rule.primary);
  const secondary = rules.filter((rule) => !rule.primary);
  // The map's primary node is a primary of the home region even without a rule naming it.
  if (home && !rules.some((rule) => rule.nodeId === placement.primaryNodeId)) {
    primary.unshift({ region: placement.primaryRegion, nodeId: placement.primaryNodeId, primary: true, weight: 100 });
  }
  return { primary, secondary };
}

/**
 * Creates a router that sends each call to its tenant's own node, found in a
 * {@link FederationDirectory} by tenant and region, and never to another tenant's.
 *
 * The tenant's rules for the asked region (else its primary region) form two tiers, primary and
 * secondary. In each tier, `down` nodes and those `isAvailable` refuses are skipped, `draining`
 * ones are used only when no `active` one is left, the highest `priority` wins and `weight` splits
 * the rest. The secondary tier is used only when the primary one has nobody (reported through
 * `on.failover`). When both are empty the call fails with `TENANT_UNAVAILABLE` (503): like a
 * strict sticky session, it is never moved to the default node or to a node outside the tenant's
 * rules. A tenant with no mapping fails with `UNKNOWN_TENANT` (404) unless `fallback` names a
 * default node, and then each such call is flagged (`meta.fallback: true`, `on.fallback`).
 *
 * The routed instance is `{ id: nodeId, region, url, meta: { tenant, role, fallback } }`; a node's
 * `databaseUrl` is never copied into it.
 *
 * @example
 * ```ts
 * import { federationRouter, memoryDirectory, regionFrom, tenantFrom } from 'switchyard/routing';
 * const router = federationRouter({
 *   directory: memoryDirectory(),
 *   tenant: tenantFrom({ path: '/tenants/:tenant' }),
 *   region: regionFrom(),
 * });
 * ```
 */
export function federationRouter<Data = unknown, Ctx = unknown>(options: FederationRouterOptions): InstanceRouter<Data, Ctx> {
  parseOptions(optionsSchema, options, 'federationRouter');
  const { directory, tenant: tenantOf, region: regionOf, fallback, on } = options;
  const isAvailable = options.isAvailable ?? (() => true);
  const random = options.random ?? Math.random;

  const instanceOf = (node: FederationNode, tenant: string, role: FederationRole): Instance => ({
    id: node.id,
    region: node.region,
    ...(node.url === undefined ? {} : { url: node.url }),
    ...(role === 'fallback' ? { tags: ['fallback'] } : {}),
    meta: { tenant, role, fallback: role === 'fallback' },
  });

  const pick = (candidates: Candidate[]): FederationNode | undefined => {
    const usable = candidates.filter((c) => c.node.status !== 'down' && c.weight > 0 && isAvailable(c.node.id));
    const active = usable.filter((c) => c.node.status === 'active');
    const pool = active.length > 0 ? active : usable;
    if (pool.length === 0) return undefined;
    const top = Math.max(...pool.map((c) => c.node.priority));
    const best = pool.filter((c) => c.node.priority === top);
    const total = best.reduce((sum, c) => sum + c.weight, 0);
    let point = random() * total;
    for (const candidate of best) {
      point -= candidate.weight;
      if (point < 0) return candidate.node;
    }
    return best[best.length - 1]!.node;
  };

  /** The rules' nodes (a rule naming a node that no longer exists has no candidate). */
  const candidatesOf = (rules: FederationRule[]): Candidate[] | Promise<Candidate[]> => {
    const nodes = rules.map((rule) => read(() => directory.node(rule.nodeId), 'node'));
    const build = (found: (FederationNode | undefined)[]) =>
      found.flatMap((node, index) => (node === undefined ? [] : [{ node, weight: rules[index]!.weight }]));
    return nodes.some(isThenable) ? Promise.all(nodes).then(build) : build(nodes as (FederationNode | undefined)[]);
  };

  return {
    async route(input: RouteInput<Data, Ctx>) {
      const source = input as RouteInput<unknown, unknown>;
      const tenant = tenantOf.read(source);
      if (tenant === undefined) throw new SwitchyardError('INVALID_INPUT', `Expected a ${tenantOf.label} in the request`);
      const region = regionOf?.read(source);
      const pending = read(() => directory.tenant(tenant), 'tenant');
      const placement = isThenable(pending) ? await pending : pending;

      if (placement === undefined) {
        if (fallback === undefined) throw new SwitchyardError('UNKNOWN_TENANT', 'Unknown tenant');
        const node = await read(() => directory.node(fallback.nodeId), 'node');
        if (node === undefined || pick([{ node, weight: 1 }]) === undefined) {
          throw new SwitchyardError('TENANT_UNAVAILABLE', 'Unknown tenant, and the default node is unavailable');
        }
        const state: FederationRouteState = { tenant, region, nodeId: node.id, role: 'fallback' };
        callHook(on?.fallback, state);
        callHook(on?.route, state);
        return [instanceOf(node, tenant, 'fallback')];
      }

      const { primary, secondary } = rulesFor(placement, region);
      let role: FederationRole = 'primary';
      const first = candidatesOf(primary);
      let node = pick(isThenable(first) ? await first : first);
      if (node === undefined) {
        role = 'secondary';
        const second = candidatesOf(secondary);
        node = pick(isThenable(second) ? await second : second);
      }
      if (node === undefined) {
        throw new SwitchyardError('TENANT_UNAVAILABLE', 'No node of this tenant is available', {
          cause: new Error(`tenant nodes tried: ${[...primary, ...secondary].map((r) => r.nodeId).join(', ') || 'none'}`),
        });
      }
      const state: FederationRouteState = { tenant, region, nodeId: node.id, role };
      if (role === 'secondary') callHook(on?.failover, state);
      callHook(on?.route, state);
      return [instanceOf(node, tenant, role)];
    },
  };
}
