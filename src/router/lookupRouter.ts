import { systemClock, type Clock } from '../_internal/clock.js';
import { createLru } from '../_internal/lru.js';
import { fn, parseOptions, positiveInteger, positiveNumber, v } from '../_internal/validate.js';
import type { Instance, InstanceRouter, RouteInput } from './types.js';
import { validateInstances } from './validateInstances.js';

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

interface CacheEntry {
  controller: AbortController;
  /** Set when the lookup succeeds; a running lookup does not expire. */
  expiresAt: number | undefined;
  instances: Promise<readonly Instance[]>;
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
  // Found at request time, possibly with credentials in a URL: name the field, never echo its value.
  const run = async (input: RouteInput<Data, Ctx>) => validateInstances(await lookup(input), 'lookup()', true);
  if (cache === undefined) return { route: run, invalidate: () => {} };

  const clock = options.clock ?? systemClock;
  const ttlMs = cache.ttlMs ?? 30_000;
  // One lookup serves every caller waiting on the key, so it runs under the entry's own signal
  // (aborted only when the entry is dropped), never under the first caller's.
  const entries = createLru<CacheEntry>({ max: cache.maxEntries ?? 1000 });
  const drop = (key: string, entry: CacheEntry | undefined) => {
    if (entry === undefined || entries.get(key) !== entry) return;
    entries.delete(key);
    entry.controller.abort();
  };
  return {
    route(input) {
      const key = cache.key(input);
      if (key === undefined) return run(input);
      const known = entries.get(key);
      if (known !== undefined && (known.expiresAt === undefined || clock.now() < known.expiresAt)) return known.instances;
      drop(key, known);
      const controller = new AbortController();
      const entry: CacheEntry = { controller, expiresAt: undefined, instances: run({ ...input, signal: controller.signal }) };
      entries.set(key, entry);
      entry.instances.then(
        () => {
          entry.expiresAt = clock.now() + ttlMs;
        },
        () => drop(key, entry),
      );
      return entry.instances;
    },
    invalidate(key) {
      for (const name of key === undefined ? [...entries.keys()] : [key]) drop(name, entries.get(name));
    },
  };
}
