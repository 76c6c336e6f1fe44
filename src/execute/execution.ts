import pLimit from 'p-limit';
import { REASONS, Scope, sleep } from '../_internal/abort.js';
import { createTimerQueue } from '../_internal/timerQueue.js';
import type { Clock } from '../_internal/clock.js';
import type { Admission, Permit } from '../core/permit.js';
import type { Budget } from './budget.js';
import type { LatencyWindow } from './latencyWindow.js';
import type { Strategy } from '../combine/types.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { Instance, InstanceRouter } from '../router/types.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import type { Classification, Classifier } from './classify.js';
import { emit, type FanoutHooks } from './hooks.js';
import type { ShouldRetry } from './options.js';
import type { AttemptReport, FanoutReport, InstanceReport } from './report.js';
import { mistakeBehind } from './mistakes.js';
import { addOutcome, emptyResponses } from './responses.js';
import type { Failure, Outcome, Responses, Worker, WorkerCall, WorkerTraits } from './types.js';

/** Resolved settings of one call (defaults applied). */
export interface ExecutionConfig {
  timeoutMs: number;
  deadlineMs: number;
  concurrency: number;
  retry: ({ maxAttempts: number } & BackoffOptions) | undefined;
  hedge:
    | {
        delayMs: number | undefined;
        percentile: number | undefined;
        maxHedges: number;
        /** The latency window of one instance for one operation. */
        latency: (instanceId: string, operation: string) => LatencyWindow;
      }
    | undefined;
  /** Whether work may be repeated; `undefined` defers to the worker's own `idempotent`. */
  idempotent: boolean | undefined;
  shouldRetry: ShouldRetry | undefined;
  budget: Budget | undefined;
  breakers: Admission | undefined;
  classify: Classifier;
  clock: Clock;
  random: () => number;
  hooks: FanoutHooks | undefined;
}

export interface ExecutionInput<T, R, Data, Ctx> {
  operation: string;
  data: Data;
  context: Ctx;
  worker: Worker<T, Data, Ctx>;
  strategy: Strategy<T, R>;
  signal?: AbortSignal | undefined;
  /** Instances, or a router to ask for them. */
  target: readonly Instance[] | InstanceRouter<Data, Ctx>;
}

export interface ExecutionResult<T, R> {
  value: R;
  responses: Responses<T>;
  report: FanoutReport;
}

type AttemptResult<T> =
  | { ok: true; value: T }
  | { ok: false; error: unknown; timedOut: boolean; cancelled: boolean; classification: Classification };

interface Entry<T> {
  instance: Instance;
  permit: Permit | undefined;
  outcome: Outcome<T> | undefined;
  report: InstanceReport;
  startedAt: number | undefined;
  attempts: number;
  lastError: unknown;
  /** False when the outcome says nothing about the instance's health: the breaker does not count it. */
  instanceFault: boolean;
}

const noop = () => {};
let lastCallId = 0;

function replicasOf(instance: Instance): Instance[] {
  const raw = instance.meta?.['replicas'];
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((replica, index): Instance[] => {
    if (typeof replica === 'string') return [{ ...instance, id: `${instance.id}#${index + 1}`, url: replica }];
    if (typeof replica === 'object' && replica !== null && typeof (replica as Instance).id === 'string') {
      return [replica as Instance];
    }
    return [];
  });
}

/**
 * Runs one call: route, admit through breakers, call every instance under the shared deadline,
 * let the strategy see outcomes as they settle, and combine. Internal: the public edge is
 * `createFanout` / `fanOutTo`.
 */
/** A classifier that throws must not strand the call: its failure counts as a permanent error. */
function classifySafely(classify: Classifier, input: Parameters<Classifier>[0]): Classification {
  try {
    return classify(input);
  } catch {
    return { status: 'error', retryable: false };
  }
}

export function execute<T, R, Data, Ctx>(
  config: ExecutionConfig,
  input: ExecutionInput<T, R, Data, Ctx>,
): Promise<ExecutionResult<T, R>> {
  const { clock, hooks } = config;
  const { operation, strategy, signal } = input;
  const traits = input.worker as WorkerTraits;
  const idempotent = config.idempotent ?? traits.idempotent !== false;
  const refreshCredentials = typeof traits.refreshCredentials === 'function' ? traits.refreshCredentials : undefined;

  const startedAt = clock.now();
  const deadline = startedAt + config.deadlineMs;
  const callId = ++lastCallId;
  const root = new Scope();
  const timers = createTimerQueue(clock);
  const responses = emptyResponses<T>();
  const entries: Entry<T>[] = [];
  let routed = false;
  let finished = false;
  let pending = 0;

  return new Promise<ExecutionResult<T, R>>((resolve, reject) => {
    const offset = () => clock.now() - startedAt;

    const release = (reason: unknown) => {
      finished = true;
      timers.clear();
      signal?.removeEventListener('abort', onCallerAbort);
      root.abort(reason);
    };

    /** Rejects the call; `on.finish` still sees what ran, so every call is reported exactly once. */
    const rejectWith = (by: FanoutReport['finishedBy'], error: unknown) => {
      emit(hooks, 'finish', { operation, callId, responses: responses as Responses<unknown>, report: reportOf(by, closeAttempts(by)), error });
      reject(error);
    };

    const fail = (error: unknown) => {
      if (finished) return;
      release(REASONS.failed);
      // Settled entries already told their breaker; a permit takes exactly one answer.
      for (const entry of entries) if (entry.outcome === undefined) entry.permit?.release();
      rejectWith('failed', error);
    };

    const finish = (by: FanoutReport['finishedBy']) => {
      if (finished) return;
      if (!routed) {
        release(REASONS.deadline);
        rejectWith('deadline', new SwitchyardError('DEADLINE_EXCEEDED', `Call to "${operation}" passed its deadline while routing`));
        return;
      }
      release(by === 'deadline' ? REASONS.deadline : REASONS.finishedEarly);
      const now = closeAttempts(by);
      for (const entry of entries) {
        if (entry.outcome !== undefined) continue;
        entry.report.cancelled = true;
        let outcome: Outcome<T>;
        if (by === 'deadline' && entry.startedAt !== undefined) {
          outcome = {
            status: 'error',
            instance: entry.instance,
            error: entry.lastError ?? new SwitchyardError('DEADLINE_EXCEEDED', `Instance "${entry.instance.id}" did not answer before the deadline`),
            attempts: entry.attempts,
            durationMs: clock.now() - entry.startedAt,
            reason: 'timeout',
          };
          entry.permit?.failure();
        } else {
          outcome = { status: 'skipped', instance: entry.instance, reason: by === 'deadline' ? 'deadline' : 'cancelled' };
          entry.permit?.release();
        }
        record(entry, outcome);
      }
      const report = reportOf(by, now);
      let value: R;
      try {
        value = strategy.combine(responses);
      } catch (error) {
        emit(hooks, 'finish', { operation, callId, responses: responses as Responses<unknown>, report, error });
        reject(mistakeBehind(error, responses as Responses<unknown>));
        return;
      }
      emit(hooks, 'finish', { operation, callId, responses: responses as Responses<unknown>, report });
      resolve({ value, responses, report });
    };

    /** Ends every attempt still open at the current offset, for the report. */
    const closeAttempts = (by: FanoutReport['finishedBy']) => {
      const now = offset();
      for (const entry of entries) {
        for (const attempt of entry.report.attempts) {
          if (attempt.endMs === undefined) {
            attempt.endMs = now;
            attempt.result = by === 'deadline' ? 'timeout' : 'cancelled';
          }
        }
      }
      return now;
    };

    const reportOf = (by: FanoutReport['finishedBy'], now: number): FanoutReport => ({
      operation,
      startedAt,
      durationMs: now,
      finishedBy: by,
      instances: entries.map((entry) => entry.report),
    });

    const onCallerAbort = () => {
      if (finished) return;
      release(signal?.reason ?? REASONS.callerAborted);
      for (const entry of entries) {
        if (entry.outcome !== undefined) continue;
        entry.permit?.release();
        entry.report.cancelled = true;
        entry.report.reason = 'cancelled';
      }
      // Observers still get the timeline of an aborted call (what ran, for how long).
      rejectWith('aborted', new SwitchyardError('ABORTED', `Call to "${operation}" was aborted`, { cause: signal?.reason }));
    };

    emit(hooks, 'start', { operation, callId, context: input.context });
    if (signal?.aborted) {
      onCallerAbort();
      return;
    }
    timers.after(config.deadlineMs, () => finish('deadline'));
    signal?.addEventListener('abort', onCallerAbort, { once: true });

    const record = (entry: Entry<T>, outcome: Outcome<T>) => {
      entry.outcome = outcome;
      entry.report.status = outcome.status;
      if (outcome.status === 'skipped' || outcome.status === 'error') entry.report.reason = outcome.reason;
      addOutcome(responses, outcome);
      emit(hooks, 'outcome', { operation, callId, outcome: outcome as Outcome<unknown> });
    };

    const settle = (entry: Entry<T>, outcome: Outcome<T> | undefined) => {
      if (finished || outcome === undefined) return;
      if (outcome.status === 'success') entry.permit?.success();
      else if (outcome.status === 'error' && entry.instanceFault) entry.permit?.failure();
      else entry.permit?.release();
      record(entry, outcome);
      pending -= 1;
      let stop: boolean | void;
      try {
        stop = strategy.settle?.(outcome, responses);
      } catch (error) {
        fail(error);
        return;
      }
      if (stop === true) finish('early-finish');
      else if (pending === 0) finish('all-settled');
    };

    /** One attempt on `target` with its own timeout and signal; never rejects. */
    const attemptOn = (entry: Entry<T>, target: Instance, hedge: boolean, retryDelayMs: number | undefined, own: Scope): Promise<AttemptResult<T>> => {
      const now = clock.now();
      const startMs = now - startedAt;
      const remaining = deadline - now;
      entry.attempts += 1;
      const attempt = entry.attempts;
      const report: AttemptReport = { attempt, hedge, target: target.id, startMs, endMs: undefined, result: undefined };
      if (retryDelayMs !== undefined) report.retryDelayMs = retryDelayMs;
      entry.report.attempts.push(report);
      emit(hooks, 'attempt', { operation, callId, instance: entry.instance, target, attempt, hedge });
      const call: WorkerCall<Data, Ctx> = {
        data: input.data,
        context: input.context,
        operation,
        // An own getter, so `{ ...call }` keeps the signal; read lazily, so a worker that never
        // looks at it costs no AbortController.
        get signal() {
          return own.signal;
        },
        attempt,
        deadline,
        hedge,
      };
      return new Promise<AttemptResult<T>>((resolveAttempt) => {
        let done = false;
        const settleAttempt = (result: AttemptResult<T>, label: AttemptReport['result']) => {
          if (done) return;
          done = true;
          cancelTimeout();
          own.handler = undefined;
          own.dispose();
          if (report.endMs === undefined) {
            report.endMs = offset();
            report.result = label;
          }
          emit(hooks, 'attemptEnd', {
            operation,
            callId,
            instance: entry.instance,
            target,
            attempt,
            hedge,
            result: report.result ?? label ?? 'cancelled',
            durationMs: clock.now() - now,
            error: result.ok ? undefined : result.error,
          });
          resolveAttempt(result);
        };
        const failWith = (error: unknown, timedOut: boolean, cancelled: boolean) => {
          const classification = classifySafely(config.classify, { error, instance: entry.instance, timedOut });
          settleAttempt({ ok: false, error, timedOut, cancelled, classification }, timedOut ? 'timeout' : cancelled ? 'cancelled' : classification.status);
        };
        const cancelTimeout = timers.at(now + Math.max(1, Math.min(config.timeoutMs, remaining)), () => {
          failWith(REASONS.attemptTimeout, true, false);
          own.abort(REASONS.attemptTimeout);
        });
        own.handler = () => failWith(own.reason, false, true);
        if (own.aborted) return own.handler();
        let running: Promise<T>;
        try {
          running = Promise.resolve(input.worker(target, call));
        } catch (error) {
          running = Promise.reject(error);
        }
        // A worker that ignores its signal may settle after the attempt ended: its answer is dropped.
        running.then(
          (value) => {
            if (done) return;
            if (config.hedge !== undefined) config.hedge.latency(entry.instance.id, operation).record(clock.now() - now);
            settleAttempt({ ok: true, value }, 'success');
          },
          (error: unknown) => failWith(error, false, false),
        );
      });
    };

    const hedgeDelay = (instance: Instance): number | undefined => {
      const hedge = config.hedge;
      if (hedge === undefined) return undefined;
      if (hedge.percentile !== undefined) {
        const observed = hedge.latency(instance.id, operation).percentile(hedge.percentile);
        if (observed !== undefined) return observed;
      }
      return hedge.delayMs;
    };

    /**
     * Races hedges against a primary attempt that is already running: the first success wins and
     * the others are aborted. A failure (403, 404, error) never cancels an attempt that may still
     * succeed: the race ends on a success or when the last running attempt settles, with the most
     * telling failure. Built only once the first hedge is due, so an armed but idle hedge costs one
     * timer entry.
     */
    const raceHedges = (entry: Entry<T>, primaryScope: Scope, primary: Promise<AttemptResult<T>>, delay: number): Promise<AttemptResult<T>> =>
      new Promise((resolveAttempt) => {
        const replicas = replicasOf(entry.instance);
        const attempts: Scope[] = [primaryScope];
        let running = 0;
        let hedges = 0;
        let done = false;
        let cancelHedge = () => {};

        const end = (result: AttemptResult<T>, winner?: Scope) => {
          done = true;
          cancelHedge();
          for (const own of attempts) {
            // The winner's signal stays live: its answer may still be streaming.
            if (own !== winner) own.abort(REASONS.hedgeLost);
            own.dispose();
          }
          resolveAttempt(result);
        };

        // The failure the race ends with if nothing succeeds: a definite answer (403, 404, a
        // permanent error) tells more than a retryable failure or a cancellation.
        let failed: (AttemptResult<T> & { ok: false }) | undefined;
        const definite = (result: AttemptResult<T> & { ok: false }) => !result.cancelled && !result.classification.retryable;
        const follow = (own: Scope, attempt: Promise<AttemptResult<T>>) => {
          running += 1;
          void attempt.then((result) => {
            running -= 1;
            if (done) return;
            if (result.ok || root.aborted) return end(result, own);
            if (failed === undefined || (!definite(failed) && !result.cancelled)) failed = result;
            if (running === 0) end(failed);
          });
        };

        const hedge = () => {
          if (done || root.aborted) return;
          if (config.budget !== undefined && !config.budget.tryWithdraw()) {
            emit(hooks, 'budgetExhausted', { operation, callId, instance: entry.instance, kind: 'hedge' });
            return;
          }
          hedges += 1;
          const own = new Scope(root);
          attempts.push(own);
          const target = replicas.length > 0 ? replicas[(hedges - 1) % replicas.length]! : entry.instance;
          follow(own, attemptOn(entry, target, true, undefined, own));
          if (hedges < config.hedge!.maxHedges && deadline - clock.now() > delay) cancelHedge = timers.at(clock.now() + delay, hedge);
        };

        follow(primaryScope, primary);
        hedge();
      });

    /** One attempt, with hedges when they are configured and the attempt is slower than the hedge delay. */
    const hedgedAttempt = (entry: Entry<T>, retryDelayMs: number | undefined): Promise<AttemptResult<T>> => {
      const own = new Scope(root);
      const primary = attemptOn(entry, entry.instance, false, retryDelayMs, own);
      // A backup of work that is not idempotent could do it twice.
      const delay = idempotent ? hedgeDelay(entry.instance) : undefined;
      const now = clock.now();
      if (delay === undefined || deadline - now <= delay) return primary;
      let race: Promise<AttemptResult<T>> | undefined;
      const cancelHedge = timers.at(now + delay, () => {
        race = raceHedges(entry, own, primary, delay);
      });
      return primary.then((result) => {
        if (race === undefined) {
          cancelHedge();
          return result;
        }
        return race;
      });
    };

    /** Asks the user's `shouldRetry`, if any; a throwing one counts as "no". */
    const wantsRetry = (entry: Entry<T>, failure: Failure, result: AttemptResult<T> & { ok: false }): boolean => {
      const notSent = result.classification.notSent === true && !result.timedOut;
      const retry = result.classification.retryable && (idempotent || notSent);
      if (config.shouldRetry === undefined) return retry;
      try {
        return config.shouldRetry({ operation, instance: entry.instance, attempt: entry.attempts, error: result.error, outcome: failure, idempotent, notSent, retry }) === true;
      } catch {
        return false;
      }
    };

    const runInstance = async (entry: Entry<T>): Promise<Outcome<T> | undefined> => {
      if (root.aborted) return undefined;
      entry.startedAt = clock.now();
      config.budget?.recordRequest();
      const maxAttempts = config.retry?.maxAttempts ?? 1;
      let retryDelayMs: number | undefined;
      let refreshed = false;
      for (let round = 1; ; round += 1) {
        const result = await hedgedAttempt(entry, retryDelayMs);
        if (root.aborted) return undefined;
        const durationMs = clock.now() - entry.startedAt;
        if (result.ok) {
          entry.instanceFault = true;
          return { status: 'success', instance: entry.instance, data: result.value, attempts: entry.attempts, durationMs };
        }
        entry.lastError = result.error;
        const { classification } = result;
        if (classification.status !== 'error') {
          return { status: classification.status, instance: entry.instance, error: result.error, attempts: entry.attempts, durationMs };
        }
        entry.instanceFault = classification.instanceFault !== false || result.timedOut;
        const unauthenticated = classification.reason === 'unauthenticated' && !result.timedOut;
        const failure: Failure = {
          status: 'error',
          instance: entry.instance,
          error: result.error,
          attempts: entry.attempts,
          durationMs,
          reason: result.timedOut ? 'timeout' : unauthenticated ? 'unauthenticated' : 'failed',
        };
        if (classification.programmerError === true) {
          emit(hooks, 'programmerError', { operation, callId, instance: entry.instance, error: result.error });
        }
        if (unauthenticated) {
          // The instance refused the credential before doing anything: refresh it and try once more.
          if (refreshed || refreshCredentials === undefined) return failure;
          refreshed = true;
          try {
            await refreshCredentials(entry.instance, result.error);
          } catch {
            return failure;
          }
          if (root.aborted) return undefined;
          round -= 1;
          retryDelayMs = undefined;
          continue;
        }
        if (config.retry === undefined || round >= maxAttempts || !wantsRetry(entry, failure, result)) return failure;
        const delayMs = backoffDelay(round, config.retry, config.random, classification.retryAfterMs);
        if (clock.now() + delayMs >= deadline) return failure;
        if (config.budget !== undefined && !config.budget.tryWithdraw()) {
          emit(hooks, 'budgetExhausted', { operation, callId, instance: entry.instance, kind: 'retry' });
          return failure;
        }
        emit(hooks, 'retry', { operation, callId, instance: entry.instance, attempt: entry.attempts, delayMs, error: result.error });
        if (!(await sleep(delayMs, root, timers))) return undefined;
        retryDelayMs = delayMs;
      }
    };

    const start = (instances: readonly Instance[]) => {
      routed = true;
      if (!Array.isArray(instances) || !instances.every((i) => typeof i === 'object' && i !== null && typeof i.id === 'string')) {
        // A router bug, found at request time: say what was expected, never echo the data.
        fail(new SwitchyardError('INVALID_INPUT', `Expected the router of "${operation}" to return an array of instances with string ids`));
        return;
      }
      if (instances.length === 0) {
        release(REASONS.noInstances);
        rejectWith('no-instances', new SwitchyardError('NO_INSTANCES', `No instance can serve "${operation}"`));
        return;
      }
      responses.routed = instances;
      const permits = config.breakers?.admit(instances, operation);
      const seen = new Set<string>();
      for (const instance of instances) {
        if (seen.has(instance.id)) continue;
        seen.add(instance.id);
        const permit = permits?.get(instance.id);
        entries.push({
          instance,
          permit: permit === 'circuit-open' ? undefined : permit,
          outcome: undefined,
          report: { instanceId: instance.id, status: 'skipped', attempts: [], cancelled: false },
          startedAt: undefined,
          attempts: 0,
          lastError: undefined,
          instanceFault: true,
        });
      }
      pending = entries.length;
      const limit = config.concurrency < entries.length ? pLimit(config.concurrency) : undefined;
      for (const entry of entries) {
        if (permits?.get(entry.instance.id) === 'circuit-open') {
          settle(entry, { status: 'skipped', instance: entry.instance, reason: 'circuit-open' });
          if (finished) return;
          continue;
        }
        const task = () => runInstance(entry);
        void (limit === undefined ? task() : limit(task)).then(
          (outcome) => settle(entry, outcome),
          (error: unknown) => fail(error),
        );
      }
    };

    const startSafely = (instances: readonly Instance[]) => {
      if (finished) return;
      try {
        start(instances);
      } catch (error) {
        fail(error);
      }
    };

    const { target } = input;
    if (Array.isArray(target)) {
      startSafely(target);
      return;
    }
    let routing: readonly Instance[] | Promise<readonly Instance[]>;
    try {
      routing = (target as InstanceRouter<Data, Ctx>).route({
        operation,
        data: input.data,
        context: input.context,
        get signal() {
          return root.signal;
        },
      });
    } catch (error) {
      fail(error);
      return;
    }
    if (Array.isArray(routing)) {
      startSafely(routing);
      return;
    }
    Promise.resolve(routing).then(startSafely, fail);
  });
}
