import { systemClock, type Clock } from '../../_internal/clock.js';
import { clockSchema, parseOptions, positiveInteger, timerMs, v } from '../../_internal/validate.js';

/** Who a pin belongs to: a session or transaction id, bound to the caller's principal and tenant. */
export interface AffinityKey {
  readonly principal: string;
  readonly tenant?: string;
  readonly session: string;
}

/** Where a session is pinned. */
export interface AffinityPin {
  readonly shard: string;
  readonly instance: string;
  /** The policy version the pin was made under, when the policy came from a store. */
  readonly version?: number;
}

/** Options of {@link sessionAffinity}. */
export interface SessionAffinityOptions {
  /**
   * How long a pin lives after its last use; each routed call renews it.
   * @default 300_000
   */
  ttlMs?: number;
  /**
   * Most pins kept; past it, new sessions are not pinned and their calls fail with `AFFINITY_LOST`
   * rather than run unpinned.
   * @default 100_000
   */
  max?: number;
  /** Time source and timers. @default systemClock */
  clock?: Clock;
}

/** Pins sessions to shards for their lifetime, from {@link sessionAffinity}. */
export interface SessionAffinity {
  /** The live pin of a session, renewing its TTL. */
  get(key: AffinityKey): AffinityPin | undefined;
  /** Pins a session (replacing any pin it had); false when `max` pins are already live. */
  pin(key: AffinityKey, pin: AffinityPin): boolean;
  /** Ends a session's pin (transaction committed or rolled back). */
  release(key: AffinityKey): boolean;
  /** Number of live pins. */
  size(): number;
  /** Drops every pin and stops the cleanup timer. */
  close(): void;
}

/** The session affinity defaults, documented in docs/shard-routing.md. */
export const SESSION_AFFINITY_DEFAULTS = { ttlMs: 300_000, max: 100_000 } as const;

const schema = v.object({ ttlMs: timerMs.optional(), max: positiveInteger.optional(), clock: clockSchema.optional() });

/**
 * Session affinity for {@link shardRouter}: a session or transaction id pins the shard instance it
 * first went to, for as long as the session keeps calling (sliding TTL).
 *
 * A pin is keyed by principal, tenant and session id together, so one caller who learns another's
 * session id gets no pin of theirs and cannot steer their traffic. Expired pins are dropped by one
 * unref'd timer that runs only while pins exist.
 *
 * @example
 * ```ts
 * import { sessionAffinity } from 'switchyard/routing';
 * const affinity = sessionAffinity({ ttlMs: 60_000 });
 * ```
 */
export function sessionAffinity(options: SessionAffinityOptions = {}): SessionAffinity {
  const parsed = parseOptions(schema, options);
  const ttlMs = parsed.ttlMs ?? SESSION_AFFINITY_DEFAULTS.ttlMs;
  const max = parsed.max ?? SESSION_AFFINITY_DEFAULTS.max;
  const clock = parsed.clock ?? systemClock;
  const pins = new Map<string, { pin: AffinityPin; expiresAt: number }>();
  let timer: unknown;

  const id = (key: AffinityKey) => JSON.stringify([key.principal, key.tenant ?? null, key.session]);

  function sweep(): void {
    timer = undefined;
    const now = clock.now();
    for (const [key, entry] of pins) if (entry.expiresAt <= now) pins.delete(key);
    schedule();
  }

  function schedule(): void {
    if (timer !== undefined || pins.size === 0) return;
    timer = clock.setTimeout(sweep, ttlMs);
    (timer as { unref?: () => void } | undefined)?.unref?.();
  }

  function stop(): void {
    if (timer === undefined) return;
    clock.clearTimeout(timer);
    timer = undefined;
  }

  return {
    get(key) {
      const k = id(key);
      const entry = pins.get(k);
      if (entry === undefined) return undefined;
      const now = clock.now();
      if (entry.expiresAt <= now) {
        pins.delete(k);
        if (pins.size === 0) stop();
        return undefined;
      }
      entry.expiresAt = now + ttlMs;
      return entry.pin;
    },
    pin(key, pin) {
      const k = id(key);
      if (!pins.has(k) && pins.size >= max) return false;
      pins.set(k, { pin: Object.freeze({ ...pin }), expiresAt: clock.now() + ttlMs });
      schedule();
      return true;
    },
    release(key) {
      const released = pins.delete(id(key));
      if (pins.size === 0) stop();
      return released;
    },
    size() {
      return pins.size;
    },
    close() {
      pins.clear();
      stop();
    },
  };
}
