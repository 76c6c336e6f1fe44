import { callHook } from '../../_internal/callHook.js';
import { systemClock, type Clock } from '../../_internal/clock.js';
import { redactSecrets } from '../../_internal/redact.js';
import { clockSchema, expected, fn, parseOptions, timerMs, v } from '../../_internal/validate.js';
import { SwitchyardError } from '../../errors/SwitchyardError.js';
import type { ShardKey } from '../shard/resolveShard.js';
import type { PolicySource } from '../shard/shardRouter.js';
import type { PolicyActivation, PolicyBackend, PolicyRecord, PolicyState, ReplicaStatus } from './backend.js';
import { policyChecksum } from './canonicalJson.js';
import { checkPolicy, diffPolicies, previewPolicy, type PolicyCheck, type PolicyDiff, type PolicyPreview } from './comparePolicies.js';
import { parsePolicy, policyFromDocument } from './parsePolicy.js';
import type { Policy } from './types.js';

/** The policy a replica routes by now. */
export interface ActivePolicy {
  readonly version: number;
  readonly checksum: string;
  readonly policy: Policy;
  /** Epoch ms when this replica applied it. */
  readonly appliedAt: number;
}

/** What `on.applied` sees when this replica starts routing by a version. */
export interface PolicyAppliedState {
  version: number;
  checksum: string;
  previous?: number;
}

/** What `on.refused` sees when this replica refuses the active version and keeps its own. */
export interface PolicyRefusedState {
  version: number;
  /** Why, with no value that came from a variable. */
  reason: string;
  /** The version still serving, if any. */
  kept?: number;
}

/** What `on.syncError` sees when the backend could not be read; the applied version keeps serving. */
export interface PolicySyncErrorState {
  error: unknown;
}

/** Hooks of a policy store; each takes one state object. */
export interface PolicyStoreHooks {
  applied?(state: PolicyAppliedState): void;
  refused?(state: PolicyRefusedState): void;
  syncError?(state: PolicySyncErrorState): void;
}

/** Options of {@link createPolicyStore}. */
export interface PolicyStoreOptions {
  /** Where versions live: `memoryPolicyBackend()`, `filePolicyBackend({ path })`, `redisPolicyBackend(…)` from `switchyard/redis`. */
  store: PolicyBackend;
  /** Variables for `${VAR}` references, resolved by each replica. @default process.env where it exists */
  env?: Readonly<Record<string, string | undefined>>;
  /** This replica's name in the fleet view. @default a random id */
  replica?: string;
  /**
   * How often the store reads the backend to find a new active version, besides change
   * notifications: the bound on how long a replica that missed a notification lags. `false` turns
   * the interval off. The timer is unref'd and stopped by `close()`.
   * @default 5000
   */
  syncIntervalMs?: number | false;
  /**
   * How long this replica stays in every replica's `replicas()` after its last report; it must be
   * longer than `syncIntervalMs`. Every sync reports, also when the backend cannot be read, so a
   * live replica reports at least once per interval; one that stopped — crashed, or killed without
   * `close()` — drops out once its report expires, and the next `replicas()` removes its entry from
   * the backend. Each report carries its own expiry, so replicas with different intervals share one
   * view. `false`: this replica's reports never expire. The expiry is the reporting replica's
   * clock: keep the fleet's clocks in sync (NTP) or leave a margin.
   * @default three times `syncIntervalMs` (false when the interval is off)
   */
  replicaTtlMs?: number | false;
  /** Time source and timers. @default systemClock */
  clock?: Clock;
  on?: PolicyStoreHooks;
}

/** What activation and rollback may override. */
export interface ActivateOptions {
  /**
   * Tenants and prefixes whose move the operator accepts (their data has been migrated), or
   * `true` for all. Without it, a check problem refuses the activation.
   */
  acknowledge?: true | { tenants?: readonly string[]; prefixes?: readonly string[] };
  /** Why, kept in the activation history. @default '' */
  message?: string;
}

/** The result of an activation or rollback. */
export interface ActivationResult {
  readonly version: number;
  readonly checksum: string;
  readonly previous?: number;
  readonly diff?: PolicyDiff;
}

/** Versioned routing policies, from {@link createPolicyStore}. Also a `PolicySource` for `shardRouter`. */
export interface PolicyStore extends PolicySource {
  /** The policy this replica routes by, or undefined before the first version is active here. */
  active(): ActivePolicy | undefined;
  /** Validates a policy (YAML/JSON text, a document, or a policy from `parsePolicy`) and stores it as a new version, not yet active. */
  propose(input: string | object, options?: { message?: string; format?: 'yaml' | 'json' | 'auto' }): Promise<PolicyRecord>;
  /** Every stored version, oldest first. */
  versions(): Promise<PolicyRecord[]>;
  /** The activation history, oldest first; the last entry is active. */
  history(): Promise<PolicyActivation[]>;
  /** A stored version as a policy, resolved with this replica's variables. */
  get(version: number): Promise<Policy>;
  /** What changes from `a` to `b` (versions or policies). */
  diff(a: number | Policy, b: number | Policy): Promise<PolicyDiff>;
  /** What activating `candidate` would strand, compared with the active version. */
  check(candidate: number | Policy): Promise<PolicyCheck>;
  /** The share of `keys` that would go to another shard under `candidate` than now. */
  preview(candidate: number | Policy, keys: Iterable<string | ShardKey>): Promise<PolicyPreview>;
  /** Makes a stored version the active one for every replica; refused when it fails to validate or its check. */
  activate(version: number, options?: ActivateOptions): Promise<ActivationResult>;
  /** Makes an earlier version active again (the one before the active, by default), acknowledging every move back. */
  rollback(toVersion?: number, options?: { message?: string }): Promise<ActivationResult>;
  /** Reads the backend now and applies its active version. */
  sync(): Promise<ActivePolicy | undefined>;
  /** What every replica last reported (only this one when the backend keeps no fleet view). */
  replicas(): Promise<ReplicaStatus[]>;
  /** This replica's own status. */
  status(): ReplicaStatus;
  /** Stops the interval and the change subscription; the active policy keeps answering `active()`. */
  close(): Promise<void>;
}

/** The policy store's defaults, documented in docs/shard-routing.md. */
export const POLICY_STORE_DEFAULTS = { syncIntervalMs: 5_000 } as const;

const backendSchema = expected<PolicyBackend>('a policy backend ({ read, write })', (v) =>
  typeof v === 'object' && v !== null && typeof (v as PolicyBackend).read === 'function' && typeof (v as PolicyBackend).write === 'function',
);

const schema = v.object({
    store: backendSchema,
    env: v.record(v.string(), v.union([v.string(), v.custom<undefined>((value) => value === undefined, { message: 'undefined' })])).optional(),
    replica: v.custom<string>((value) => typeof value === 'string' && value.length > 0, { message: 'a non-empty string' }).optional(),
    syncIntervalMs: v.union([timerMs, v.literal(false)]).optional(),
    replicaTtlMs: v.union([timerMs, v.literal(false)]).optional(),
    clock: clockSchema.optional(),
    on: v.object({ applied: fn().optional(), refused: fn().optional(), syncError: fn().optional() }).optional(),
  });

const MAX_WRITE_ATTEMPTS = 20;
const MAX_HISTORY = 200;

function randomId(): string {
  return `replica-${Math.random().toString(36).slice(2, 10)}`;
}

/** A policy from `parsePolicy` (its document is `source`), rather than a document. */
function isPolicy(value: object): value is Policy {
  return (value as Partial<Policy>).format === 1 && typeof (value as Partial<Policy>).source === 'object';
}

function messageOf(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}

/**
 * Versioned routing policies that every replica of a BFF applies: propose, check, preview,
 * activate, roll back.
 *
 * Every version gets a number (kept by the backend, so it survives restarts), a SHA-256 over its
 * canonical JSON, a time and a message. `activate` refuses a version that does not validate, or
 * whose `check` finds tenants or prefixes it would strand, unless they are acknowledged; the last
 * good policy keeps serving. Each replica reads the active version on change notifications and
 * on an interval, resolves its own `${VAR}` references, and records what it applied or why it
 * refused — `replicas()` shows the fleet.
 *
 * @example
 * ```ts
 * import { createPolicyStore, memoryPolicyBackend, shardRouter } from 'switchyard/routing';
 *
 * const policies = createPolicyStore({ store: memoryPolicyBackend() });
 * const v1 = await policies.propose(
 *   { version: 1, shards: { s0: { instances: [{ url: 'https://s0.internal' }] } } },
 *   { message: 'first shard' },
 * );
 * await policies.activate(v1.version);
 * const router = shardRouter<{ key: string }>({ policy: policies, key: ({ data }) => data.key });
 * await policies.close();
 * ```
 */
export function createPolicyStore(options: PolicyStoreOptions): PolicyStore {
  const parsed = parseOptions(schema, options);
  const backend = parsed.store;
  const env = parsed.env;
  const replica = parsed.replica ?? randomId();
  const clock = parsed.clock ?? systemClock;
  const intervalMs = parsed.syncIntervalMs ?? POLICY_STORE_DEFAULTS.syncIntervalMs;
  const replicaTtlMs = parsed.replicaTtlMs ?? (intervalMs === false ? false : 3 * intervalMs);
  if (replicaTtlMs !== false && intervalMs !== false && replicaTtlMs <= intervalMs) {
    throw new SwitchyardError(
      'INVALID_CONFIG',
      `Expected \`replicaTtlMs\` (${replicaTtlMs}) to be longer than \`syncIntervalMs\` (${intervalMs}): a live replica would drop out of the fleet view between its reports`,
    );
  }
  /** The `seenAt` of this replica's last report, so `close()` removes that report and no newer one. */
  let lastReportedAt: number | undefined;
  const on: PolicyStoreHooks = options.on ?? {};

  let applied: ActivePolicy | undefined;
  let refused: ReplicaStatus['refused'];
  let closed = false;
  let timer: unknown;
  let syncing: Promise<ActivePolicy | undefined> | undefined;
  let again = false;

  const resolve = (record: PolicyRecord): Policy => policyFromDocument(record.document, env);
  const resolveOrUndefined = (record: PolicyRecord): Policy | undefined => {
    if (applied?.version === record.version) return applied.policy;
    try {
      return resolve(record);
    } catch {
      return undefined;
    }
  };

  async function report(): Promise<void> {
    if (closed || backend.report === undefined) return;
    const current = status();
    try {
      await backend.report(current);
      lastReportedAt = current.seenAt;
    } catch {
      // The fleet view is best effort; routing does not depend on it.
    }
  }

  function status(): ReplicaStatus {
    const now = clock.now();
    return {
      replica,
      ...(applied === undefined ? {} : { applied: { version: applied.version, checksum: applied.checksum, at: applied.appliedAt } }),
      ...(refused === undefined ? {} : { refused }),
      seenAt: now,
      ...(replicaTtlMs === false ? {} : { expiresAt: now + replicaTtlMs }),
    };
  }

  function apply(state: PolicyState): boolean {
    const active = state.activations.at(-1);
    if (active === undefined) return false;
    const record = state.versions.find((v) => v.version === active.version);
    if (applied?.version === active.version && applied.checksum === record?.checksum) return false;
    if (refused?.version === active.version) return false;
    try {
      if (record === undefined) throw new Error(`version ${active.version} is not stored`);
      if (policyChecksum(record.document) !== record.checksum) throw new Error(`version ${active.version} does not match its checksum`);
      const policy = resolve(record);
      const previous = applied?.version;
      applied = Object.freeze({ version: record.version, checksum: record.checksum, policy, appliedAt: clock.now() });
      refused = undefined;
      callHook(on.applied, { version: record.version, checksum: record.checksum, ...(previous === undefined ? {} : { previous }) });
    } catch (error) {
      refused = { version: active.version, reason: messageOf(error), at: clock.now() };
      callHook(on.refused, { version: active.version, reason: refused.reason, ...(applied === undefined ? {} : { kept: applied.version }) });
    }
    return true;
  }

  async function syncOnce(): Promise<ActivePolicy | undefined> {
    let state: PolicyState;
    try {
      state = await backend.read();
    } catch (error) {
      callHook(on.syncError, { error });
      // Still alive, and what it routes by is what an operator needs to see while reads fail.
      await report();
      return applied;
    }
    apply(state);
    // Every sync reports, changed or not: the report doubles as this replica's heartbeat.
    await report();
    return applied;
  }

  function sync(): Promise<ActivePolicy | undefined> {
    if (syncing !== undefined) {
      again = true;
      return syncing;
    }
    syncing = (async () => {
      try {
        let result = await syncOnce();
        while (again) {
          again = false;
          result = await syncOnce();
        }
        return result;
      } finally {
        syncing = undefined;
      }
    })();
    return syncing;
  }

  function schedule(): void {
    if (closed || intervalMs === false) return;
    timer = clock.setTimeout(() => {
      timer = undefined;
      void sync().finally(schedule);
    }, intervalMs);
    (timer as { unref?: () => void } | undefined)?.unref?.();
  }

  const unwatch = backend.watch?.(() => {
    if (!closed) void sync();
  });
  schedule();
  void sync();

  /** Read-modify-write with compare-and-set, retried when another writer got there first. */
  async function update<T>(change: (state: PolicyState) => { next: PolicyState; result: T }): Promise<T> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const state = await backend.read();
      const { next, result } = change(state);
      if (await backend.write(state.revision, next)) {
        await sync();
        return result;
      }
    }
    throw new SwitchyardError('UPSTREAM_ERROR', 'The policy backend kept changing; the write was not applied');
  }

  async function record(version: number): Promise<PolicyRecord> {
    const state = await backend.read();
    const found = state.versions.find((v) => v.version === version);
    if (found === undefined) throw new SwitchyardError('INVALID_INPUT', `Policy version ${version} does not exist`);
    return found;
  }

  async function policyOf(candidate: number | Policy): Promise<Policy> {
    return typeof candidate === 'number' ? resolve(await record(candidate)) : candidate;
  }

  function acknowledged(check: PolicyCheck, acknowledge: ActivateOptions['acknowledge']): PolicyCheck['problems'] {
    if (acknowledge === true) return [];
    const tenants = new Set(acknowledge?.tenants ?? []);
    const prefixes = new Set(acknowledge?.prefixes ?? []);
    return check.problems.filter((p) => !(p.kind === 'prefix-moved' ? prefixes : tenants).has(p.subject));
  }

  async function activateAs(version: number, kind: 'activate' | 'rollback', opts: ActivateOptions): Promise<ActivationResult> {
    if (!Number.isInteger(version) || version < 1) {
      throw new SwitchyardError('INVALID_INPUT', `Expected \`version\` to be an integer >= 1, got ${String(version)}`);
    }
    const target = await record(version);
    let candidate: Policy;
    try {
      candidate = resolve(target);
    } catch (error) {
      throw new SwitchyardError('INVALID_CONFIG', `Policy version ${version} cannot be activated: ${messageOf(error)}`, { cause: error });
    }
    return update((state) => {
      const currentActivation = state.activations.at(-1);
      const currentRecord = state.versions.find((v) => v.version === currentActivation?.version);
      const current = currentRecord === undefined ? undefined : resolveOrUndefined(currentRecord);
      const check = checkPolicy(current, candidate);
      const open = acknowledged(check, opts.acknowledge);
      if (open.length > 0) {
        throw new SwitchyardError(
          'INVALID_CONFIG',
          `Policy version ${version} would strand data; migrate it and acknowledge these tenants and prefixes, or change the policy:\n- ${open
            .map((p) => p.message)
            .join('\n- ')}`,
        );
      }
      const activation: PolicyActivation = { version, at: clock.now(), message: opts.message ?? '', kind };
      const next: PolicyState = {
        ...state,
        activations: [...state.activations, activation].slice(-MAX_HISTORY),
      };
      return {
        next,
        result: {
          version,
          checksum: target.checksum,
          ...(currentActivation === undefined ? {} : { previous: currentActivation.version }),
          ...(current === undefined ? {} : { diff: diffPolicies(current, candidate) }),
        },
      };
    });
  }

  return {
    active: () => applied,
    async propose(input, opts = {}) {
      const policy =
        typeof input === 'string'
          ? await parsePolicy(input, { ...(opts.format ? { format: opts.format } : {}), ...(env ? { env } : {}) })
          : policyFromDocument(isPolicy(input) ? input.source : input, env);
      const checksum = policyChecksum(policy.source);
      return update((state) => {
        const version = state.versions.reduce((max, v) => Math.max(max, v.version), 0) + 1;
        const created: PolicyRecord = { version, checksum, createdAt: clock.now(), message: opts.message ?? '', document: policy.source };
        return { next: { ...state, versions: [...state.versions, created] }, result: created };
      });
    },
    async versions() {
      return [...(await backend.read()).versions];
    },
    async history() {
      return [...(await backend.read()).activations];
    },
    async get(version) {
      return resolve(await record(version));
    },
    async diff(a, b) {
      return diffPolicies(await policyOf(a), await policyOf(b));
    },
    async check(candidate) {
      return checkPolicy(applied?.policy, await policyOf(candidate));
    },
    async preview(candidate, keys) {
      return previewPolicy(applied?.policy, await policyOf(candidate), keys);
    },
    activate(version, opts = {}) {
      return activateAs(version, 'activate', opts);
    },
    async rollback(toVersion, opts = {}) {
      let target = toVersion;
      if (target === undefined) {
        const activations = (await backend.read()).activations;
        const current = activations.at(-1)?.version;
        target = [...activations].reverse().find((a) => a.version !== current)?.version;
        if (target === undefined) throw new SwitchyardError('INVALID_INPUT', 'There is no earlier active version to roll back to');
      }
      return activateAs(target, 'rollback', { acknowledge: true, message: opts.message ?? `rollback to version ${target}` });
    },
    sync,
    async replicas() {
      if (backend.replicas === undefined) return [status()];
      const all = await backend.replicas();
      const now = clock.now();
      const expired = all.filter((r) => r.expiresAt !== undefined && r.expiresAt < now);
      if (expired.length === 0) return all;
      // Best effort; `forget` compares `seenAt`, so a replica that reported after this read stays.
      await Promise.all(expired.map((r) => backend.forget?.(r.replica, r.seenAt).catch(() => undefined)));
      return all.filter((r) => !expired.includes(r));
    },
    status,
    async close() {
      closed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      unwatch?.();
      await syncing?.catch(() => undefined);
      // A replica that shuts down cleanly leaves the fleet view at once; a newer report under the
      // same name (a restarted pod) stays.
      if (lastReportedAt !== undefined) await backend.forget?.(replica, lastReportedAt).catch(() => undefined);
    },
  };
}
