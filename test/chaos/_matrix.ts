import { firstSuccess, mergeAll, partialWithWarnings, requireInstance, type InstanceReport } from '../../src/index.js';

/**
 * The chaos matrix's model: the faults, the settings, and what the docs say must happen
 * (docs/errors.md, docs/strategies.md, docs/idempotency.md). Every expectation here is derived
 * from those pages, never from running the library.
 *
 * The fleet is three instances, `fake-0` … `fake-2`. In scope `one` only `fake-0` has the fault
 * and the other two answer after 20 ms; in scope `all` every instance has it. `requireInstance`
 * requires `fake-0`. A faulty instance fails 10 ms into an attempt; `slow` answers after 70 ms and
 * `hang` never answers. The attempt timeout is 100 ms, the deadline 1 s, a hedge starts after
 * 50 ms, a retry waits 5 ms (full jitter with a fixed random 0.5 on a 10 ms ceiling), and a
 * 503's Retry-After asks for 300 ms.
 *
 * Work is idempotent (a read) or not (a POST-like worker marked `idempotent: false`); the latter
 * runs with dedup off, as dedup does not depend on it. The `401+refresh` faults give the worker a
 * `refreshCredentials`: the instance answers 401 until the credential is refreshed, then succeeds
 * (`401+refresh`) or keeps answering 401 (`401+refresh-rejected`).
 */

export const FAULTS = ['hang', 'reset', 'refused', 'slow', 'malformed', '500', '503+Retry-After', '403', '404', '401', '401+refresh', '401+refresh-rejected'] as const;
export type Fault = (typeof FAULTS)[number];
export const STRATEGIES = ['firstSuccess', 'mergeAll', 'requireInstance', 'partialWithWarnings'] as const;
export type StrategyName = (typeof STRATEGIES)[number];
export const SCOPES = ['one', 'all'] as const;
export type Scope = (typeof SCOPES)[number];

export const TIMING = {
  timeoutMs: 100,
  deadlineMs: 1_000,
  hedgeDelayMs: 50,
  healthyMs: 20,
  faultMs: 10,
  slowMs: 70,
  retryAfterMs: 300,
  retry: { maxAttempts: 2, baseDelayMs: 10 },
} as const;

export interface Cell {
  fault: Fault;
  /** False for work that must not be repeated (`idempotent: false`). */
  idempotent: boolean;
  scope: Scope;
  strategy: StrategyName;
  retry: boolean;
  hedge: boolean;
  dedup: boolean;
}

/** What the docs say an instance with this fault ends as when it is allowed to finish. */
interface Trait {
  status: InstanceReport['status'];
  reason?: 'timeout' | 'failed' | 'unauthenticated';
  /** Retried when retries are on (idempotent work). */
  retryable: boolean;
  /** Failed provably before sending: retried even when the work is not idempotent. */
  notSent?: boolean;
  /** The worker refreshes its credential once and tries again, whatever the retry settings. */
  refreshes?: boolean;
  /** Still running when a hedge would start (50 ms). */
  slowerThanHedge: boolean;
}

export const TRAITS: Record<Fault, Trait> = {
  // errors.md: the attempt's timeout → error (timeout), retried.
  hang: { status: 'error', reason: 'timeout', retryable: true, slowerThanHedge: true },
  // idempotency.md: connection reset → retried for idempotent work.
  reset: { status: 'error', reason: 'failed', retryable: true, slowerThanHedge: false },
  // idempotency.md: connection refused → always retried (nothing was sent).
  refused: { status: 'error', reason: 'failed', retryable: true, notSent: true, slowerThanHedge: false },
  // Within the timeout: a success, just late.
  slow: { status: 'success', retryable: false, slowerThanHedge: true },
  // idempotency.md: a malformed answer is an ordinary error, not retried.
  malformed: { status: 'error', reason: 'failed', retryable: false, slowerThanHedge: false },
  // idempotency.md: 5xx → retried.
  '500': { status: 'error', reason: 'failed', retryable: true, slowerThanHedge: false },
  '503+Retry-After': { status: 'error', reason: 'failed', retryable: true, slowerThanHedge: false },
  // errors.md: 403 → unauthorized, 404 → not-found, neither retried.
  '403': { status: 'unauthorized', retryable: false, slowerThanHedge: false },
  '404': { status: 'not-found', retryable: false, slowerThanHedge: false },
  // errors.md: 401 → error (unauthenticated); retried only after a credential refresh, and these
  // workers have none.
  '401': { status: 'error', reason: 'unauthenticated', retryable: false, slowerThanHedge: false },
  // idempotency.md, http-worker.md: with a credential refresh, one refresh and one more attempt,
  // for any work (the instance refused the credential before doing anything); a second 401 stays
  // unauthenticated.
  '401+refresh': { status: 'success', retryable: false, refreshes: true, slowerThanHedge: false },
  '401+refresh-rejected': { status: 'error', reason: 'unauthenticated', retryable: false, refreshes: true, slowerThanHedge: false },
};

/** What the faulty instance `fake-0` must end as, and the call's value or error code. */
export interface Expected {
  /** `fake-0`'s outcome, e.g. `error (timeout)` or `skipped (cancelled)`. */
  faulty: string;
  /** First attempts and retries of `fake-0` (not hedges); undefined when it was cancelled. */
  attempts: number | undefined;
  /** Hedges of `fake-0`; undefined when it was cancelled. */
  hedges: number | undefined;
  /** The value (rendered) or `error CODE`. */
  result: string;
  /** Credential refreshes for `fake-0` in one execution. */
  refreshes: number;
}

export const outcomeText = (status: string, reason?: string) => (reason === undefined ? status : `${status} (${reason})`);

const list = (ids: readonly string[]) => `[${ids.join(', ')}]`;
const ALL = ['fake-0', 'fake-1', 'fake-2'];
const OTHERS = ['fake-1', 'fake-2'];

export function expectedOf(cell: Cell): Expected {
  const trait = TRAITS[cell.fault];
  const succeeded = trait.status === 'success';
  const failed = trait.status === 'error';
  // idempotency.md: work that may have reached the instance is retried only when idempotent.
  const retried = cell.retry && trait.retryable && (cell.idempotent || trait.notSent === true);
  const attempts = trait.refreshes === true ? 2 : retried ? TIMING.retry.maxAttempts : 1;
  // maxHedges 1: one backup per attempt that is still running when the hedge delay passes; work
  // that is not idempotent is never hedged.
  const hedges = cell.hedge && cell.idempotent && trait.slowerThanHedge ? attempts : 0;
  // The first attempt fails at 10 ms, before anything else finishes: the refresh always happens.
  const refreshes = trait.refreshes === true ? 1 : 0;
  const own = { faulty: outcomeText(trait.status, trait.reason), attempts, hedges, refreshes };
  const cancelled = { faulty: 'skipped (cancelled)', attempts: undefined, hedges: undefined, refreshes };

  switch (cell.strategy) {
    case 'firstSuccess': {
      if (cell.scope === 'one') {
        // A healthy instance succeeds at 20 ms and finishes the call; fake-0 keeps its own outcome
        // only if it had finished by then (failed at 10 ms and not waiting for a retry).
        const doneBy20 = !trait.slowerThanHedge && attempts === 1;
        return { ...(doneBy20 ? own : cancelled), result: list(['fake-1']) };
      }
      if (succeeded) return { ...own, result: list(['fake-0']) };
      if (trait.status === 'unauthorized') return { ...own, result: 'error FORBIDDEN' };
      if (trait.status === 'not-found') return { ...own, result: 'error NOT_FOUND' };
      return { ...own, result: 'error ALL_FAILED' };
    }
    case 'mergeAll': {
      if (succeeded) return { ...own, result: list(ALL) };
      if (cell.scope === 'one') return { ...own, result: list(OTHERS) };
      return { ...own, result: failed ? 'error ALL_FAILED' : list([]) };
    }
    case 'requireInstance':
      return { ...own, result: succeeded ? list(['fake-0']) : 'error REQUIRED_INSTANCE_FAILED' };
    case 'partialWithWarnings': {
      if (succeeded) return { ...own, result: partialText(ALL, [], []) };
      if (cell.scope === 'all') return { ...own, result: failed ? 'error ALL_FAILED' : partialText([], [], []) };
      if (!failed) return { ...own, result: partialText(OTHERS, [], []) };
      return { ...own, result: partialText(OTHERS, [`fake-0 (${trait.reason})`], ['fake-0']) };
    }
  }
}

export function partialText(data: readonly string[], warnings: readonly string[], unavailable: readonly string[]): string {
  return `data ${list(data)}; warnings ${list(warnings)}; unavailable ${list(unavailable)}`;
}

export function renderValue(strategy: StrategyName, value: unknown): string {
  if (strategy === 'partialWithWarnings') {
    const partial = value as { data: string[]; warnings: { instance: string; category: string }[]; unavailableInstances: string[] };
    return partialText(
      partial.data,
      partial.warnings.map((w) => `${w.instance} (${w.category})`),
      partial.unavailableInstances,
    );
  }
  return list(value as string[]);
}

/** The built-in strategy a cell names; `requireInstance` requires the faulty instance, `fake-0`. */
export function strategyOf(name: StrategyName) {
  switch (name) {
    case 'firstSuccess':
      return firstSuccess();
    case 'mergeAll':
      return mergeAll();
    case 'requireInstance':
      return requireInstance('fake-0');
    case 'partialWithWarnings':
      return partialWithWarnings();
  }
}
