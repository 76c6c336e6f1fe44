import { SwitchyardError } from '../errors/SwitchyardError.js';
import { systemClock, type Clock } from './clock.js';
import { withTimeout } from './withTimeout.js';

/** One running load, as its `load` function sees it. */
export interface Flight {
  /**
   * Aborted when every waiter has left, when the flight is detached or replaced with a reason,
   * and at the timeout. Created on first read, so a load that never looks costs no controller.
   */
  readonly signal: AbortSignal;
  /** True once the signal has aborted; reading it creates no controller. */
  readonly aborted: boolean;
  /**
   * True while later callers of the key join this flight. False once it is detached, replaced,
   * cleared or settled (a timed-out load may still finish): its value should then not be cached
   * as the key's.
   */
  readonly current: boolean;
}

/** The work of one flight. Throwing counts as a rejection. */
export type Load<T> = (flight: Flight) => T | PromiseLike<T>;

/** Options of {@link createInflight}. */
export interface InflightOptions<K, T> {
  /** Time source of the timeout. @default systemClock */
  clock?: Clock;
  /**
   * Bounds every flight: at this point its signal aborts with `timeoutError(key)` and the flight
   * fails with it, even when the load ignores its signal. @default no bound
   */
  timeoutMs?: number;
  /** The error a timed-out flight fails with. @default a `SwitchyardError('DEADLINE_EXCEEDED')` */
  timeoutError?: (key: K) => unknown;
  /**
   * Turns a failed flight (a rejection, a throw or the timeout) into what every waiter gets: return
   * a value (a stale one: stale-while-revalidate) or throw. Runs once per flight.
   * @default the error reaches every waiter
   */
  recover?: (key: K, error: unknown, flight: Flight) => T | PromiseLike<T>;
  /** What a waiter whose own signal aborted is rejected with. @default the signal's reason */
  abortError?: (reason: unknown) => unknown;
}

/** Per-call options of {@link Inflight.run}. */
export interface JoinOptions<T> {
  /** This caller's signal: its abort rejects this caller only (see `abortError`). */
  signal?: AbortSignal | undefined;
  /**
   * How the flight this call starts hands its value to each waiter, in the order they joined:
   * `index` 0 is the first waiter still there. Ignored when the call joins a running flight.
   * @default every waiter gets the value itself
   */
  share?: ((value: T, index: number) => T) | undefined;
}

/** Shares one running load per key among concurrent callers. Built by {@link createInflight}. */
export interface Inflight<K, T> {
  /**
   * Joins the flight of `key`, or starts `load` as a new one. A caller whose signal aborts is
   * rejected alone; the flight's signal aborts only when every waiter has left.
   */
  run(key: K, load: Load<T>, options?: JoinOptions<T>): Promise<T>;
  /** Runs `load` for this caller alone, with the same abort, timeout and recovery as `run`. */
  solo(load: Load<T>, options?: JoinOptions<T>): Promise<T>;
  /**
   * Starts `load` in the background under `key` unless a flight of the key runs already (then
   * returns false): callers keep serving their stale value meanwhile. A background flight has no
   * waiter to lose, so nobody leaving aborts it; callers that join it later get its value.
   */
  refresh(key: K, load: Load<T>): boolean;
  has(key: K): boolean;
  /** Callers waiting on the flight of `key` (0 for none or a background flight nobody joined). */
  waiters(key: K): number;
  /**
   * Lets later callers of `key` start afresh; the running flight keeps its waiters and becomes not
   * `current`. With a `reason` (not undefined), its signal aborts with it. Returns false when none ran.
   */
  detach(key: K, reason?: unknown): boolean;
  /**
   * Aborts the flight of `key` with `reason` and hands its waiters over to a new flight of `load`,
   * so one key never has two loads running. Starts nothing when no flight ran; returns whether one did.
   */
  replace(key: K, load: Load<T>, reason: unknown): boolean;
  /** Detaches every flight, aborting each with `reason`. */
  clear(reason: unknown): void;
  keys(): K[];
  readonly size: number;
}

interface Waiter<T> {
  flight: FlightState<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

class FlightState<T> implements Flight {
  readonly waiters = new Set<Waiter<T>>();
  current = true;
  settled = false;
  private controller: AbortController | undefined;

  constructor(
    readonly background: boolean,
    readonly share: ((value: T, index: number) => T) | undefined,
  ) {}

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.controller?.signal.aborted ?? false;
  }

  abort(reason: unknown): void {
    this.controller ??= new AbortController();
    this.controller.abort(reason);
  }
}

function defaultTimeoutError(ms: number): SwitchyardError {
  return new SwitchyardError('DEADLINE_EXCEEDED', `The load did not finish within ${ms} ms`);
}

/**
 * Creates keyed in-flight sharing (singleflight): one running load per key, its value handed to
 * every caller that joined it. This is the one mechanism behind the result sharing of `createDedup`,
 * `lookupRouter`'s cache and the runtime router's table loads.
 *
 * No listener outlives its call: a waiter's abort listener is removed when it is answered or
 * leaves, and the one timer of a flight is cleared when the flight settles.
 */
export function createInflight<K, T>(options: InflightOptions<K, T> = {}): Inflight<K, T> {
  const clock = options.clock ?? systemClock;
  const { timeoutMs, recover, abortError } = options;
  const flights = new Map<K, FlightState<T>>();

  function settle(flight: FlightState<T>, ok: boolean, result: unknown): void {
    flight.settled = true;
    // A load that ignored its timeout and finishes later must not pass for the key's value.
    flight.current = false;
    let index = 0;
    for (const waiter of flight.waiters) {
      if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener('abort', waiter.onAbort);
      if (!ok) {
        waiter.reject(result);
        continue;
      }
      let value = result as T;
      if (flight.share !== undefined) {
        try {
          value = flight.share(value, index);
        } catch (error) {
          waiter.reject(error);
          index += 1;
          continue;
        }
      }
      index += 1;
      waiter.resolve(value);
    }
    flight.waiters.clear();
  }

  function bounded(key: K, load: Load<T>, flight: FlightState<T>): Promise<T> {
    if (timeoutMs === undefined) {
      try {
        return Promise.resolve(load(flight));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return withTimeout(() => load(flight), {
      clock,
      ms: timeoutMs,
      signal: flight.signal,
      onTimeout: () => {
        const error = options.timeoutError ? options.timeoutError(key) : defaultTimeoutError(timeoutMs);
        flight.abort(error);
        return error;
      },
    });
  }

  /** Runs `load` for `flight`; `key` is undefined for a solo flight, which is never registered. */
  function start(key: K | undefined, solo: boolean, load: Load<T>, flight: FlightState<T>): void {
    if (!solo) flights.set(key as K, flight);
    let pending = bounded(key as K, load, flight);
    if (recover !== undefined) pending = pending.catch((error: unknown) => recover(key as K, error, flight));
    pending.then(
      (value) => {
        if (!solo && flights.get(key as K) === flight) flights.delete(key as K);
        settle(flight, true, value);
      },
      (error: unknown) => {
        if (!solo && flights.get(key as K) === flight) flights.delete(key as K);
        settle(flight, false, error);
      },
    );
  }

  function leave(key: K | undefined, solo: boolean, waiter: Waiter<T>): void {
    const { flight } = waiter;
    flight.waiters.delete(waiter);
    waiter.reject(abortError ? abortError(waiter.signal!.reason) : waiter.signal!.reason);
    if (flight.waiters.size > 0 || flight.settled || flight.background) return;
    if (!solo && flights.get(key as K) === flight) flights.delete(key as K);
    flight.current = false;
    flight.abort(waiter.signal!.reason);
  }

  function join(key: K | undefined, solo: boolean, flight: FlightState<T>, signal: AbortSignal | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = { flight, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => leave(key, solo, waiter);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      flight.waiters.add(waiter);
    });
  }

  function rejectAborted(signal: AbortSignal): Promise<never> {
    return Promise.reject(abortError ? abortError(signal.reason) : signal.reason);
  }

  return {
    run(key, load, joinOptions = {}) {
      const { signal } = joinOptions;
      if (signal?.aborted) return rejectAborted(signal);
      const running = flights.get(key);
      if (running !== undefined) return join(key, false, running, signal);
      const flight = new FlightState<T>(false, joinOptions.share);
      const answer = join(key, false, flight, signal);
      start(key, false, load, flight);
      return answer;
    },

    solo(load, joinOptions = {}) {
      const { signal } = joinOptions;
      if (signal?.aborted) return rejectAborted(signal);
      const flight = new FlightState<T>(false, joinOptions.share);
      const answer = join(undefined, true, flight, signal);
      start(undefined, true, load, flight);
      return answer;
    },

    refresh(key, load) {
      if (flights.has(key)) return false;
      start(key, false, load, new FlightState<T>(true, undefined));
      return true;
    },

    has: (key) => flights.has(key),

    waiters: (key) => flights.get(key)?.waiters.size ?? 0,

    detach(key, reason) {
      const flight = flights.get(key);
      if (flight === undefined) return false;
      flights.delete(key);
      flight.current = false;
      if (reason !== undefined) flight.abort(reason);
      return true;
    },

    replace(key, load, reason) {
      const old = flights.get(key);
      if (old === undefined) return false;
      flights.delete(key);
      old.current = false;
      const next = new FlightState<T>(old.background, old.share);
      for (const waiter of old.waiters) {
        waiter.flight = next;
        next.waiters.add(waiter);
      }
      old.waiters.clear();
      old.abort(reason);
      start(key, false, load, next);
      return true;
    },

    clear(reason) {
      const all = [...flights.values()];
      flights.clear();
      for (const flight of all) {
        flight.current = false;
        flight.abort(reason);
      }
    },

    keys: () => [...flights.keys()],

    get size() {
      return flights.size;
    },
  };
}
