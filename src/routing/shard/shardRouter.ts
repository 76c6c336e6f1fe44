import { callHook } from '../../_internal/callHook.js';
import { expected, fn, parseOptions, v } from '../../_internal/validate.js';
import { SwitchyardError } from '../../errors/SwitchyardError.js';
import type { Instance, InstanceRouter, RouteInput } from '../../router/types.js';
import type { Policy } from './policyTypes.js';
import { resolveShard, type ShardKey, type ShardVia } from './resolveShard.js';
import type { SessionAffinity } from './sessionAffinity.js';

/** Anything that says which policy is active now — a policy store, or your own holder. */
export interface PolicySource {
  /** The policy to route by now, and its version; undefined when none is active yet. */
  active(): { readonly policy: Policy; readonly version?: number } | undefined;
}

/** What `on.route` sees for each call routed to one shard. */
export interface ShardRouteState {
  operation: string;
  shard: string;
  instance: Instance;
  /** `default` marks a tenant with no mapping served by the policy's default shard. */
  via: ShardVia | 'affinity';
  tenant?: string;
  version?: number;
}

/** What `on.scatter` sees for each call sent to every shard. */
export interface ShardScatterState {
  operation: string;
  /** Every shard of the active policy. */
  shards: readonly string[];
  /** Shards with an instance that `isAvailable` accepts. */
  covered: readonly string[];
  /** Shards with none: their calls will be skipped or fail, so the answer does not cover them. */
  missed: readonly string[];
  version?: number;
}

/** Hooks of {@link shardRouter}; each takes one state object. */
export interface ShardRouterHooks {
  route?(state: ShardRouteState): void;
  scatter?(state: ShardScatterState): void;
}

/** Options of {@link shardRouter}. */
export interface ShardRouterOptions<Data = unknown, Ctx = unknown> {
  /** A parsed policy, or a source of the active one (a policy store) read on every call. */
  policy: Policy | PolicySource;
  /**
   * Where the tenant id and/or shard key is in a call. A string is a shard key. Return undefined
   * (or neither field) for calls that carry none: they fail with `NO_SHARD_KEY` unless they scatter.
   */
  key(input: RouteInput<Data, Ctx>): ShardKey | string | undefined;
  /** Operations that may go to every shard when they carry no key: names, or a predicate. */
  scatter?: readonly string[] | ((input: RouteInput<Data, Ctx>) => boolean);
  /**
   * Whether an instance can take calls now (e.g. its breaker is closed). Unavailable primaries
   * give way to the shard's next instance; a pinned instance that becomes unavailable ends the
   * session with `AFFINITY_LOST`.
   * @default every instance is available
   */
  isAvailable?(instance: Instance): boolean;
  /** Session affinity: pins each session's calls to the shard instance it first went to. */
  affinity?: {
    store: SessionAffinity;
    /** The session or transaction id of a call; undefined for calls outside a session. */
    session(input: RouteInput<Data, Ctx>): string | undefined;
    /** The caller's principal, to which pins are bound; a session with no principal is refused. */
    principal(input: RouteInput<Data, Ctx>): string | undefined;
  };
  on?: ShardRouterHooks;
}

const sourceSchema = expected<Policy | PolicySource>(
  'a policy from parsePolicy or a source with `active()`',
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    (typeof (v as PolicySource).active === 'function' || ((v as Policy).format === 1 && typeof (v as Policy).shards === 'object')),
);

const schema = v.object({
    policy: sourceSchema,
    key: fn(),
    scatter: v.union([v.array(v.string()), fn()]).optional(),
    isAvailable: fn().optional(),
    affinity: v.object({
        store: expected<SessionAffinity>('a session affinity store', (v) => typeof (v as SessionAffinity | null)?.get === 'function'),
        session: fn(),
        principal: fn(),
      })
      .optional(),
    on: v.object({ route: fn().optional(), scatter: fn().optional() }).optional(),
  });

function normalizeKey(raw: ShardKey | string | undefined): ShardKey {
  if (raw === undefined || raw === null) return {};
  if (typeof raw === 'string') return { key: raw };
  if (
    typeof raw !== 'object' ||
    (raw.tenant !== undefined && typeof raw.tenant !== 'string') ||
    (raw.key !== undefined && typeof raw.key !== 'string')
  ) {
    throw new SwitchyardError('ROUTER_FAILED', 'Expected `key(input)` to return a string, { tenant?: string, key?: string } or undefined');
  }
  return raw;
}

/**
 * An {@link InstanceRouter} that sends each call to the shard its tenant or key belongs to under
 * a routing policy: the tenant map first, then the longest key prefix, then a hash.
 *
 * It fails closed: a call with no key is refused with `NO_SHARD_KEY` unless its operation may
 * scatter, and a tenant the policy does not map is refused with `UNKNOWN_TENANT` unless the policy
 * names a default (then `on.route` reports `via: 'default'`). A scatter goes to one instance of
 * every shard, and `on.scatter` reports the shards it cannot cover. Calls only ever go to shards
 * of the policy that is active when they are routed. Each returned instance carries
 * `meta.shard` and, when the shard has more than one instance, `meta.replicas` for hedging.
 *
 * @example
 * ```ts
 * import { createFanout, firstSuccess } from 'switchyard';
 * import { parsePolicy, shardRouter } from 'switchyard/routing';
 *
 * const policy = await parsePolicy(`{ "version": 1, "shards": { "s0": { "instances": [{ "url": "https://s0.internal" }] } } }`);
 * const router = shardRouter<{ userId: string }, { tenant: string }>({
 *   policy,
 *   key: ({ data, context }) => ({ tenant: context.tenant, key: data.userId }),
 * });
 * const fanout = createFanout({ router });
 * ```
 */
export function shardRouter<Data = unknown, Ctx = unknown>(options: ShardRouterOptions<Data, Ctx>): InstanceRouter<Data, Ctx> {
  parseOptions(schema, options);
  const source = options.policy;
  const current: () => { policy: Policy; version?: number } | undefined =
    typeof (source as PolicySource).active === 'function'
      ? () => (source as PolicySource).active()
      : () => ({ policy: source as Policy });
  const scatterOption = options.scatter;
  const mayScatter =
    scatterOption === undefined
      ? () => false
      : typeof scatterOption === 'function'
        ? scatterOption
        : (input: RouteInput<Data, Ctx>) => scatterOption.includes(input.operation);
  const isAvailable = options.isAvailable ?? (() => true);
  const affinity = options.affinity;
  const on = options.on ?? {};

  /** The shard's first available instance (its primary when healthy), with the rest as replicas. */
  function pick(policy: Policy, shard: string): { instance: Instance; available: boolean } {
    const instances = policy.shards[shard]!.instances;
    const index = instances.findIndex((instance) => isAvailable(instance));
    const chosen = instances[index === -1 ? 0 : index]!;
    return { instance: withReplicas(chosen, instances), available: index !== -1 };
  }

  function scatter(input: RouteInput<Data, Ctx>, policy: Policy, version: number | undefined): Instance[] {
    const shards = Object.keys(policy.shards);
    const picked = shards.map((shard) => ({ shard, ...pick(policy, shard) }));
    const missed = picked.filter((p) => !p.available).map((p) => p.shard);
    if (on.scatter !== undefined) {
      callHook(on.scatter, {
        operation: input.operation,
        shards,
        covered: picked.filter((p) => p.available).map((p) => p.shard),
        missed,
        ...(version === undefined ? {} : { version }),
      });
    }
    return picked.map((p) => p.instance);
  }

  return {
    route(input) {
      const active = current();
      if (active === undefined) throw new SwitchyardError('NO_INSTANCES', 'No routing policy is active yet');
      const { policy, version } = active;
      const key = normalizeKey(options.key(input));
      const session = affinity?.session(input);
      let affinityKey: { principal: string; tenant?: string; session: string } | undefined;
      if (affinity !== undefined && session !== undefined) {
        const principal = affinity.principal(input);
        if (principal === undefined || principal === '') {
          throw new SwitchyardError('INVALID_INPUT', 'A call with a session id needs a principal to bind the session to');
        }
        affinityKey = { principal, session, ...(key.tenant === undefined ? {} : { tenant: key.tenant }) };
        const pinned = affinity.store.get(affinityKey);
        if (pinned !== undefined) {
          const instance = policy.shards[pinned.shard]?.instances.find((i) => i.id === pinned.instance);
          if (instance === undefined || !isAvailable(instance)) {
            throw new SwitchyardError(
              'AFFINITY_LOST',
              instance === undefined
                ? `The shard this session is pinned to left the routing policy; release the session and start again`
                : `The shard instance this session is pinned to is unavailable; release the session and start again`,
              { instances: [pinned.instance] },
            );
          }
          if (on.route !== undefined) {
            callHook(on.route, { operation: input.operation, shard: pinned.shard, instance, via: 'affinity', ...tenantAndVersion(key, version) });
          }
          return [instance];
        }
      }
      const resolution = resolveShard(policy, key);
      if (!resolution.ok) {
        if (resolution.code === 'NO_SHARD_KEY' && affinityKey === undefined && mayScatter(input)) return scatter(input, policy, version);
        throw new SwitchyardError(
          resolution.code,
          resolution.code === 'NO_SHARD_KEY'
            ? `Operation "${input.operation}" carries no tenant or shard key and may not scatter`
            : 'The tenant is not mapped to any shard',
        );
      }
      const { instance } = pick(policy, resolution.shard);
      if (affinityKey !== undefined) {
        const pinned = affinity!.store.pin(affinityKey, {
          shard: resolution.shard,
          instance: instance.id,
          ...(version === undefined ? {} : { version }),
        });
        if (!pinned) throw new SwitchyardError('AFFINITY_LOST', 'Too many sessions are pinned; the session could not be pinned');
      }
      if (on.route !== undefined) {
        callHook(on.route, { operation: input.operation, shard: resolution.shard, instance, via: resolution.via, ...tenantAndVersion(key, version) });
      }
      return [instance];
    },
  };
}

function tenantAndVersion(key: ShardKey, version: number | undefined): { tenant?: string; version?: number } {
  return { ...(key.tenant === undefined ? {} : { tenant: key.tenant }), ...(version === undefined ? {} : { version }) };
}

const replicaCache = new WeakMap<Instance, WeakMap<readonly Instance[], Instance>>();

/** The instance with the shard's other instances as `meta.replicas`, built once per policy. */
function withReplicas(instance: Instance, instances: readonly Instance[]): Instance {
  if (instances.length === 1) return instance;
  let byList = replicaCache.get(instance);
  if (byList === undefined) replicaCache.set(instance, (byList = new WeakMap()));
  let found = byList.get(instances);
  if (found === undefined) {
    found = Object.freeze({ ...instance, meta: Object.freeze({ ...instance.meta, replicas: instances.filter((i) => i !== instance) }) });
    byList.set(instances, found);
  }
  return found;
}
