import { systemClock, type Clock } from '../_internal/clock.js';
import { createInflight } from '../_internal/inflight.js';
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
  expiresAt: number;
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
  const entries = createLru<CacheEntry>({ max: cache.maxEntries ?? 1000 });
  // One lookup serves every caller waiting on the key, so it runs under the flight's own signal
  // (aborted only when the key is invalidated), never under the first caller's.
  const lookups = createInflight<string, readonly Instance[]>();
  return {
    route(input) {
      const key = cache.key(input);
      if (key === undefined) return run(input);
      const known = entries.get(key);
      if (known !== undefined) {
        if (clock.now() < known.expiresAt) return known.instances;
        entries.delete(key);
      }
      return lookups.run(key, async (flight) => {
        // Field by field: spreading `input` would read the call's lazy signal and build its controller.
        const instances = await run({
          operation: input.operation,
          data: input.data,
          context: input.context,
          get signal() {
            return flight.signal;
          },
        });
        // Failed lookups are not cached; nor is one that was invalidated while it ran.
        if (flight.current) entries.set(key, { expiresAt: clock.now() + ttlMs, instances: Promise.resolve(instances) });
        return instances;
      });
    },
    invalidate(key) {
      for (const name of key === undefined ? [...entries.keys(), ...lookups.keys()] : [key]) {
        entries.delete(name);
        lookups.detach(name, new DOMException('The lookup was invalidated', 'AbortError'));
      }
    },
  };
}
