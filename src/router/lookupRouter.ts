import { LRUCache } from 'lru-cache';
import { systemClock, type Clock } from '../_internal/clock.js';
import { fn, parseOptions, positiveInteger, positiveNumber, v } from '../_internal/validate.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { Instance, InstanceRouter, RouteInput } from './types.js';
import { validateInstances } from './staticRouter.js';

export interface LookupCacheOptions<Data, Ctx> {
  /**
   * The cache key of a call, normally the principal (user id, session). `undefined` means "do not
   * cache this call" — lookups of different principals never share an entry.
   */
  key: (input: RouteInput<Data, Ctx>) => string | undefined;
  /** @default 30_000 */
  ttlMs?: number;
  /** @default 1000 */
  maxEntries?: number;
}

export interface LookupRouterOptions<Data, Ctx> {
  /** Finds the instances of a call: a federation table query, a policy snapshot, a registry. */
  lookup: (input: RouteInput<Data, Ctx>) => readonly Instance[] | Promise<readonly Instance[]>;
  /** Cache lookups per principal (the seeds' policy snapshot cache). @default no cache */
  cache?: LookupCacheOptions<Data, Ctx>;
  clock?: Clock;
}

const schema = v.object({
  lookup: fn(),
  cache: v
    .object({ key: fn(), ttlMs: positiveNumber.optional(), maxEntries: positiveInteger.optional() })
    .optional(),
  clock: v.unknown().optional(),
});

/**
 * Routes by looking instances up per call (the seeds' federation table or cached policy
 * snapshot). With `cache`, concurrent lookups of one key share one query and results live for
 * `ttlMs`; failed lookups are not cached.
 *
 * @example
 * lookupRouter({
 *   lookup: ({ context }) => db.instancesOf(context.user.id),
 *   cache: { key: ({ context }) => context.user.id, ttlMs: 60_000 },
 * })
 */
export function lookupRouter<Data = unknown, Ctx = unknown>(
  options: LookupRouterOptions<Data, Ctx>,
): InstanceRouter<Data, Ctx> & { invalidate(key?: string): void } {
  parseOptions(schema, options);
  const { lookup, cache } = options;
  const run = async (input: RouteInput<Data, Ctx>) => {
    const found = await lookup(input);
    try {
      return validateInstances(found, 'lookup()');
    } catch (error) {
      // Found at request time and possibly sent to a client: name the field, never echo its value.
      const message = error instanceof Error ? error.message.replace(/, got [\s\S]*$/, '') : 'Expected `lookup()` to return instances';
      throw new SwitchyardError('INVALID_INPUT', message, { cause: error });
    }
  };
  if (cache === undefined) return { route: run, invalidate: () => {} };

  const clock = options.clock ?? systemClock;
  const entries = new LRUCache<string, readonly Instance[], RouteInput<Data, Ctx>>({
    max: cache.maxEntries ?? 1000,
    ttl: cache.ttlMs ?? 30_000,
    perf: { now: () => clock.now() },
    // One lookup serves every caller waiting on the key, so it runs under the cache's own signal
    // (aborted only if the entry is dropped), never under the first caller's.
    fetchMethod: (_key, _stale, { context, signal }) => run({ ...context, signal }),
  });
  return {
    async route(input) {
      const key = cache.key(input);
      if (key === undefined) return run(input);
      const found = await entries.fetch(key, { context: input });
      return found ?? [];
    },
    invalidate(key) {
      if (key === undefined) entries.clear();
      else entries.delete(key);
    },
  };
}
