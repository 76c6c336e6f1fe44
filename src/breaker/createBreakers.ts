import { callHook } from '../_internal/callHook.js';
import { systemClock } from '../_internal/clock.js';
import { createCounter, type FailureCounter } from './_counter.js';
import { resolveBreakerOptions } from './options.js';
import type {
  BreakerHooks,
  BreakerOptions,
  BreakerState,
  BreakerTransitionReason,
  Breakers,
  Permit,
} from './types.js';

/** One breaker. Internal: users see states and permits only. */
interface Circuit {
  readonly key: string;
  readonly storeKey: string;
  readonly instanceId: string;
  readonly operation: string | undefined;
  readonly counter: FailureCounter;
  state: BreakerState;
  /** Bumped on every transition: outcomes of calls admitted in an earlier episode do not count. */
  generation: number;
  openUntil: number;
  /** Opens in a row without a successful probe; the open duration doubles with each. */
  opens: number;
  probes: number;
  syncedAt: number;
  syncing: boolean;
}

type PermitKind = 'call' | 'probe' | 'forced';

/** The record another replica reads: the breaker is open until `until` (epoch ms). */
interface SharedRecord {
  until: number;
  opens: number;
}

/** Circuits kept at most; the oldest is forgotten first (it starts again closed). */
const MAX_CIRCUITS = 10_000;
/** Store writes in flight at most; beyond it a write is dropped and reported. */
const MAX_PENDING_WRITES = 64;

const RANK: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

function call<K extends keyof BreakerHooks>(hooks: BreakerHooks | undefined, name: K, state: Parameters<NonNullable<BreakerHooks[K]>>[0]): void {
  callHook(hooks?.[name] as ((s: typeof state) => void) | undefined, state);
}

function parseRecord(raw: string | undefined): SharedRecord | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<SharedRecord>;
    if (typeof value.until === 'number' && typeof value.opens === 'number') return { until: value.until, opens: value.opens };
  } catch {
    // A record this version cannot read is treated as absent.
  }
  return undefined;
}

class CircuitPermit implements Permit {
  #done = false;
  constructor(
    private readonly settle: (circuit: Circuit, generation: number, kind: PermitKind, outcome: 'success' | 'failure' | 'release') => void,
    private readonly circuit: Circuit,
    private readonly generation: number,
    private readonly kind: PermitKind,
  ) {}
  success(): void {
    this.#end('success');
  }
  failure(): void {
    this.#end('failure');
  }
  release(): void {
    this.#end('release');
  }
  #end(outcome: 'success' | 'failure' | 'release'): void {
    if (this.#done) return;
    this.#done = true;
    this.settle(this.circuit, this.generation, this.kind, outcome);
  }
}

/**
 * Creates a registry of circuit breakers, one per instance (or per instance and operation), for
 * the executor to consult before each fan-out.
 *
 * Only `failure()` counts against a breaker (the executor calls it for `error` outcomes only, so
 * 403 and 404 never open one). State changes happen when a call observes them: no timer runs.
 * With a `store`, open breakers are written there with a TTL of their open duration and read back
 * in the background, so a breaker opened on one replica is seen by the others within
 * `syncIntervalMs` plus a store round trip.
 *
 * @example
 * const breakers = createBreakers({ policy: { kind: 'consecutive', threshold: 3 }, openMs: 5_000 });
 * const fanout = createFanout({ router, breaker: breakers });
 */
export function createBreakers(options?: BreakerOptions): Breakers {
  const settings = resolveBreakerOptions(options);
  const clock = settings.clock ?? systemClock;
  const { store, on: hooks } = settings;
  const circuits = new Map<string, Circuit>();
  let pendingWrites = 0;

  const keyOf = (instanceId: string, operation: string | undefined) =>
    operation === undefined ? instanceId : `${instanceId}\u0000${operation}`;

  const circuitFor = (instanceId: string, operation: string | undefined): Circuit => {
    const op = settings.scope === 'instance' ? undefined : operation;
    const key = keyOf(instanceId, op);
    const known = circuits.get(key);
    if (known !== undefined) return known;
    if (circuits.size >= MAX_CIRCUITS) circuits.delete(circuits.keys().next().value as string);
    const circuit: Circuit = {
      key: op === undefined ? instanceId : `${instanceId}/${op}`,
      storeKey: settings.keyPrefix + encodeURIComponent(instanceId) + (op === undefined ? '' : `/${encodeURIComponent(op)}`),
      instanceId,
      operation: op,
      counter: createCounter(settings.policy, clock),
      state: 'closed',
      generation: 0,
      openUntil: 0,
      opens: 0,
      probes: 0,
      syncedAt: Number.NEGATIVE_INFINITY,
      syncing: false,
    };
    circuits.set(key, circuit);
    return circuit;
  };

  const transition = (circuit: Circuit, to: BreakerState, reason: BreakerTransitionReason, openMs?: number) => {
    const from = circuit.state;
    circuit.state = to;
    circuit.generation += 1;
    circuit.probes = 0;
    call(hooks, 'stateChange', {
      key: circuit.key,
      instanceId: circuit.instanceId,
      ...(circuit.operation === undefined ? {} : { operation: circuit.operation }),
      from,
      to,
      reason,
      ...(openMs === undefined ? {} : { openMs }),
    });
  };

  const write = (circuit: Circuit, record: SharedRecord, ttlMs: number) => {
    if (store === undefined) return;
    if (pendingWrites >= MAX_PENDING_WRITES) {
      call(hooks, 'storeError', { action: 'set', key: circuit.storeKey, error: new Error('Too many pending breaker writes; this one was dropped') });
      return;
    }
    pendingWrites += 1;
    let written: Promise<void>;
    try {
      written = store.set(circuit.storeKey, JSON.stringify(record), { ttlMs: Math.max(1, Math.ceil(ttlMs)) });
    } catch (error) {
      written = Promise.reject(error);
    }
    written.then(
      () => {
        pendingWrites -= 1;
      },
      (error: unknown) => {
        pendingWrites -= 1;
        call(hooks, 'storeError', { action: 'set', key: circuit.storeKey, error });
      },
    );
  };

  const open = (circuit: Circuit, reason: BreakerTransitionReason) => {
    const now = clock.now();
    circuit.opens += 1;
    const duration = Math.min(settings.openMs * 2 ** (circuit.opens - 1), settings.maxOpenMs);
    circuit.openUntil = now + duration;
    circuit.counter.reset();
    transition(circuit, 'open', reason, duration);
    write(circuit, { until: circuit.openUntil, opens: circuit.opens }, duration);
  };

  const close = (circuit: Circuit) => {
    circuit.opens = 0;
    circuit.counter.reset();
    transition(circuit, 'closed', 'probe-succeeded');
  };

  /** Applies the one time-driven transition: an open breaker whose duration ran out is half-open. */
  const refresh = (circuit: Circuit, now: number) => {
    if (circuit.state === 'open' && now >= circuit.openUntil) transition(circuit, 'half-open', 'open-elapsed');
  };

  const adopt = (circuit: Circuit, record: SharedRecord | undefined) => {
    const now = clock.now();
    if (record === undefined || record.until <= now) return;
    if (circuit.state === 'open') {
      circuit.openUntil = Math.max(circuit.openUntil, record.until);
      circuit.opens = Math.max(circuit.opens, record.opens);
      return;
    }
    circuit.openUntil = record.until;
    circuit.opens = Math.max(circuit.opens, record.opens);
    circuit.counter.reset();
    transition(circuit, 'open', 'shared-state', record.until - now);
  };

  const sync = (circuit: Circuit, now: number) => {
    if (store === undefined || circuit.syncing || now - circuit.syncedAt < settings.syncIntervalMs) return;
    circuit.syncing = true;
    circuit.syncedAt = now;
    let read: Promise<string | undefined>;
    try {
      read = store.get(circuit.storeKey);
    } catch (error) {
      read = Promise.reject(error);
    }
    read.then(
      (raw) => {
        circuit.syncing = false;
        adopt(circuit, parseRecord(raw));
      },
      (error: unknown) => {
        circuit.syncing = false;
        call(hooks, 'storeError', { action: 'get', key: circuit.storeKey, error });
      },
    );
  };

  const settle = (circuit: Circuit, generation: number, kind: PermitKind, outcome: 'success' | 'failure' | 'release') => {
    if (kind === 'forced') {
      // A call let through by the ejection cap that succeeds is as good as a probe: the instance answered.
      if (outcome === 'success' && circuit.state !== 'closed' && (generation === circuit.generation || circuit.state === 'half-open')) close(circuit);
      return;
    }
    if (generation !== circuit.generation) return;
    if (kind === 'probe') {
      if (outcome === 'release') circuit.probes -= 1;
      else if (outcome === 'success') close(circuit);
      else open(circuit, 'probe-failed');
      return;
    }
    if (outcome === 'success') circuit.counter.success();
    else if (outcome === 'failure') {
      const reason = circuit.counter.failure();
      if (reason !== undefined) open(circuit, reason);
    }
  };

  const permit = (circuit: Circuit, kind: PermitKind) => new CircuitPermit(settle, circuit, circuit.generation, kind);

  const reportTo = (circuit: Circuit, ok: boolean) => {
    refresh(circuit, clock.now());
    if (circuit.state === 'closed') settle(circuit, circuit.generation, 'call', ok ? 'success' : 'failure');
    else if (circuit.state === 'half-open') {
      if (ok) close(circuit);
      else open(circuit, 'probe-failed');
    }
  };

  return {
    admit(instances, operation) {
      const now = clock.now();
      const result = new Map<string, Permit | 'circuit-open'>();
      let denied: Circuit[] | undefined;
      for (const instance of instances) {
        if (result.has(instance.id)) continue;
        const circuit = circuitFor(instance.id, operation);
        sync(circuit, now);
        refresh(circuit, now);
        if (circuit.state === 'closed') result.set(instance.id, permit(circuit, 'call'));
        else if (circuit.state === 'half-open' && circuit.probes < settings.halfOpenProbes) {
          circuit.probes += 1;
          result.set(instance.id, permit(circuit, 'probe'));
        } else {
          result.set(instance.id, 'circuit-open');
          (denied ??= []).push(circuit);
        }
      }
      if (denied !== undefined) {
        // At least one instance may be ejected (unless the share is 0): rounding down would never
        // skip the one instance of a single-instance call, however long its breaker is open.
        const share = Math.floor((result.size * settings.maxEjectedPercent) / 100);
        const cap = settings.maxEjectedPercent > 0 ? Math.max(1, share) : 0;
        if (denied.length > cap) {
          // Over the cap, call the breakers closest to probing again: they are likeliest to have recovered.
          denied.sort((a, b) => a.openUntil - b.openUntil);
          for (const circuit of denied.slice(0, denied.length - cap)) result.set(circuit.instanceId, permit(circuit, 'forced'));
        }
      }
      return result;
    },

    state(instanceId, operation) {
      const now = clock.now();
      if (settings.scope === 'instance' || operation !== undefined) {
        const circuit = circuits.get(keyOf(instanceId, settings.scope === 'instance' ? undefined : operation));
        if (circuit === undefined) return 'closed';
        refresh(circuit, now);
        return circuit.state;
      }
      let worst: BreakerState = 'closed';
      for (const circuit of circuits.values()) {
        if (circuit.instanceId !== instanceId) continue;
        refresh(circuit, now);
        if (RANK[circuit.state] > RANK[worst]) worst = circuit.state;
      }
      return worst;
    },

    report(instanceId, ok) {
      if (settings.scope === 'instance') {
        reportTo(circuitFor(instanceId, undefined), ok);
        return;
      }
      for (const circuit of [...circuits.values()]) if (circuit.instanceId === instanceId) reportTo(circuit, ok);
    },
  };
}

