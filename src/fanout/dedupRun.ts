import type { Strategy } from '../combine/types.js';
import { copierOf, type Dedup } from '../dedup/index.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import { copyResponses } from '../execute/responses.js';
import type { Responses, Worker } from '../execute/types.js';
import type { OperationDedupOptions } from './options.js';
import { resolvePrincipal } from './principal.js';

/**
 * Which result a dedup entry holds: `run` and operations share their entries (and the result
 * cache); `collect` and `runDetailed` results describe one execution, so they share calls in
 * flight only, each in its own key space.
 */
export type ResultKind = 'value' | 'collect' | 'detailed';

/** What dedup needs to know about one call. */
export interface SharedCall<Data, Ctx> {
  operation: string;
  data: Data;
  context: Ctx;
  worker: Worker<unknown, Data, Ctx>;
  strategy: Strategy<unknown, unknown>;
  signal?: AbortSignal | undefined;
}

/** One fanout's dedup wrapping: names bound to workers, keys of defined operations, and the shared run. */
export interface DedupRunner<Data, Ctx> {
  /** Runs `execute` once for every identical call in flight (and from the cache for `value`). */
  run<V>(input: SharedCall<Data, Ctx>, settings: OperationDedupOptions | false | undefined, kind: ResultKind, execute: (signal: AbortSignal | undefined) => Promise<V>): Promise<V>;
  /** Binds an operation's name to its worker (and its dedup key, for `invalidate`). */
  define(name: string, worker: Worker<unknown, Data, Ctx>, key: ((data: never) => unknown) | undefined): void;
  isDefined(name: string): boolean;
  invalidate(target: { operation?: string; data?: unknown; principal?: string }): Promise<void>;
}

// Responses hold Error objects, so a JSON copy is impossible: copy the lists and each success's data.
const copyCollected = (value: unknown) =>
  copyResponses(value as Responses<unknown>, (data) => {
    const copy = copierOf(data);
    if (copy === undefined) throw new TypeError('not plain data');
    return copy();
  });

/** Wraps calls of one fanout in its dedup, when it has one. */
export function dedupRunner<Data, Ctx>(dedup: Dedup | undefined, principalOf: ((context: Ctx) => string | undefined) | undefined): DedupRunner<Data, Ctx> {
  /** Workers of the operations defined on this fanout, by name: one name, one worker. */
  const defined = new Map<string, Worker<unknown, Data, Ctx>>();
  // An operation's `dedup.key`, so that `invalidate({ operation, data })` finds what the call keyed.
  const dedupKeys = new Map<string, (data: never) => unknown>();
  /** Dedup keys one name to one result; a call that reuses an operation's name with another worker would share its entries. */
  const checkName = (input: SharedCall<Data, Ctx>) => {
    const worker = defined.get(input.operation);
    if (worker !== undefined && worker !== input.worker) {
      throw new SwitchyardError(
        'INVALID_CONFIG',
        `Operation \`${input.operation}\` is already defined on this fanout with another worker; call that operation or give this call another name`,
      );
    }
  };
  return {
    run(input, settings, kind, execute) {
      if (dedup === undefined || settings === false) return execute(input.signal);
      checkName(input);
      const key = settings?.key;
      return dedup.run(
        {
          operation: input.operation,
          principal: resolvePrincipal(principalOf, input.context, input.operation),
          data: input.data,
          ...(settings?.shared === undefined ? {} : { shared: settings.shared }),
          ...(kind === 'value'
            ? key === undefined ? {} : { key }
            : { key: (data: unknown) => ({ kind, params: key === undefined ? data : key(data) }), ttlMs: 0 }),
          ...(kind !== 'value' || settings?.ttlMs === undefined ? {} : { ttlMs: settings.ttlMs }),
          ...(kind === 'collect' ? { copy: copyCollected } : {}),
          ...(input.signal === undefined ? {} : { signal: input.signal }),
        },
        execute,
      );
    },
    define(name, worker, key) {
      defined.set(name, worker);
      if (key !== undefined) dedupKeys.set(name, key);
    },
    isDefined: (name) => defined.has(name),
    async invalidate(target) {
      if (dedup === undefined) return;
      const { operation, data, principal } = target;
      const key = operation === undefined ? undefined : dedupKeys.get(operation);
      await dedup.invalidate({
        ...(operation === undefined ? {} : { operation }),
        ...('data' in target ? { data: key === undefined ? data : key(data as never) } : {}),
        ...(principal === undefined ? {} : { principal }),
      });
    },
  };
}
