import { SwitchyardError } from '../errors/SwitchyardError.js';
import { withTimeout } from '../_internal/withTimeout.js';
import { callHook } from '../_internal/callHook.js';
import { systemClock, type Clock } from '../_internal/clock.js';
import { clockSchema, expected, fn, parseOptions, positiveNumber, ratio, v } from '../_internal/validate.js';
import type { Instance } from '../router/types.js';
import type { Breakers } from './types.js';

/** What `on.check` receives after each health check. */
export interface HealthCheckState {
  instance: Instance;
  healthy: boolean;
  /** Why a check failed: it said false, threw, or ran past `timeoutMs`. */
  reason?: 'unhealthy' | 'error' | 'timeout';
  /** What the check threw, for server-side logs. */
  error?: unknown;
}

export interface HealthCheckerOptions {
  /** The instances to check. */
  instances: readonly Instance[];
  /**
   * Checks one instance: resolving `false` or rejecting means unhealthy; anything else healthy.
   * `signal` aborts at `timeoutMs` and on `stop()`.
   */
  check: (instance: Instance, signal: AbortSignal) => Promise<boolean | void>;
  /** Time between the end of one check of an instance and the start of the next. @default 10_000 */
  intervalMs?: number;
  /**
   * Spread of the interval, as a share of it: each wait is uniform in
   * `intervalMs × [1 − jitter, 1 + jitter]`, so checks of many instances do not bunch up. @default 0.1
   */
  jitter?: number;
  /** A check still running after this is aborted and counts as unhealthy. @default 2_000 */
  timeoutMs?: number;
  /** Breakers to feed each result to (`breakers.report`). @default none */
  breakers?: Pick<Breakers, 'report'>;
  /** @default the system clock */
  clock?: Clock;
  /** Random source for the jitter, in [0, 1). @default Math.random */
  random?: () => number;
  on?: { check?(state: HealthCheckState): void };
}

/** Active health checks of a set of instances. */
export interface HealthChecker {
  /** Checks every instance now, then again every interval. Calling it while started does nothing. */
  start(): void;
  /** Clears every timer and aborts running checks; their results are ignored. Nothing keeps running. */
  stop(): void;
  /** False only when the instance's last check failed; unknown and not-yet-checked instances are healthy. */
  isHealthy(instanceId: string): boolean;
}


const schema = v
  .object({
    instances: expected<readonly Instance[]>(
      'an array of instances ({ id: string })',
      (v) => Array.isArray(v) && v.every((i) => typeof i === 'object' && i !== null && typeof (i as Instance).id === 'string'),
    ),
    check: fn<HealthCheckerOptions['check']>(),
    intervalMs: positiveNumber.optional(),
    jitter: ratio.optional(),
    timeoutMs: positiveNumber.optional(),
    breakers: expected<Pick<Breakers, 'report'>>(
      'breakers with a `report` function (from createBreakers)',
      (v) => typeof v === 'object' && v !== null && typeof (v as { report?: unknown }).report === 'function',
    ).optional(),
    clock: clockSchema.optional(),
    random: fn<() => number>().optional(),
    on: v.object({ check: fn<(state: HealthCheckState) => void>().optional() }).optional(),
  });

/**
 * Creates active health checks that run per instance on an interval with jitter and a timeout,
 * and feed each result to the breakers, so a dead instance is known before a user's call finds it.
 *
 * @example
 * const health = createHealthChecker({ instances, breakers, check: (i, signal) => fetch(`${i.url}/health`, { signal }).then((r) => r.ok) });
 * health.start();
 * const router = filterRouter(staticRouter(instances), healthyOnly(health));
 */
export function createHealthChecker(options: HealthCheckerOptions): HealthChecker {
  parseOptions(schema, options);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const intervalMs = options.intervalMs ?? 10_000;
  const jitter = options.jitter ?? 0.1;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const instances = [...options.instances];
  const healthy = new Map<string, boolean>();
  const timers = new Map<string, unknown>();
  const running = new Map<string, AbortController>();
  let run = 0;
  let started = false;

  const report = (state: HealthCheckState) => {
    healthy.set(state.instance.id, state.healthy);
    try {
      options.breakers?.report(state.instance.id, state.healthy);
    } catch {
      // A breaker registry that throws must not stop the checks.
    }
    callHook(options.on?.check, state);
  };

  const schedule = (instance: Instance, current: number) => {
    const delay = intervalMs * (1 + jitter * (2 * random() - 1));
    timers.set(
      instance.id,
      clock.setTimeout(() => {
        timers.delete(instance.id);
        checkOnce(instance, current);
      }, delay),
    );
  };

  const checkOnce = (instance: Instance, current: number) => {
    const controller = new AbortController();
    running.set(instance.id, controller);
    const finish = (state: HealthCheckState) => {
      if (current !== run || running.get(instance.id) !== controller) return;
      running.delete(instance.id);
      // Frees the race's abort listener, and tells a check that ignored its signal it was abandoned.
      controller.abort(new SwitchyardError('ABORTED', 'Health check finished'));
      report(state);
      schedule(instance, current);
    };
    // Aborting the controller (at `timeoutMs`, or on stop) ends the wait at once.
    void withTimeout(() => options.check(instance, controller.signal), {
      clock,
      ms: timeoutMs,
      signal: controller.signal,
      onTimeout: () => {
        const error = new SwitchyardError('DEADLINE_EXCEEDED', `Health check of \`${instance.id}\` timed out after ${timeoutMs} ms`);
        controller.abort(error);
        return error;
      },
    }).then(
      (ok) => finish(ok === false ? { instance, healthy: false, reason: 'unhealthy' } : { instance, healthy: true }),
      (error: unknown) =>
        finish(
          controller.signal.aborted && controller.signal.reason === error
            ? { instance, healthy: false, reason: 'timeout' }
            : { instance, healthy: false, reason: 'error', error },
        ),
    );
  };

  return {
    start() {
      if (started) return;
      started = true;
      run += 1;
      for (const instance of instances) checkOnce(instance, run);
    },
    stop() {
      started = false;
      run += 1;
      for (const timer of timers.values()) clock.clearTimeout(timer);
      timers.clear();
      const checks = [...running.values()];
      running.clear();
      for (const controller of checks) controller.abort(new SwitchyardError('ABORTED', 'Health checks stopped'));
    },
    isHealthy(instanceId) {
      return healthy.get(instanceId) ?? true;
    },
  };
}

/**
 * A `filterRouter` predicate that keeps the instances `checker` does not know to be unhealthy.
 *
 * @example
 * filterRouter(staticRouter(instances), healthyOnly(health))
 */
export function healthyOnly(checker: Pick<HealthChecker, 'isHealthy'>): (instance: Instance) => boolean {
  return (instance) => checker.isHealthy(instance.id);
}
