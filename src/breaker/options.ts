import type { Clock } from '../_internal/clock.js';
import { clockSchema, expected, fn, nonNegativeNumber, parseOptions, positiveInteger, positiveNumber, v } from '../_internal/validate.js';
import { storeSchema } from '../stores/storeSchema.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { Store } from '../stores/types.js';
import type { BreakerHooks, BreakerOptions, BreakerPolicy } from './types.js';

/** Every breaker default in one place. */
export const BREAKER_DEFAULTS = {
  policy: { kind: 'consecutive', threshold: 5 } as BreakerPolicy,
  openMs: 10_000,
  maxOpenMs: 300_000,
  halfOpenProbes: 1,
  maxEjectedPercent: 50,
  scope: 'instance' as 'instance' | 'instance+operation',
  syncIntervalMs: 1_000,
  keyPrefix: 'switchyard:breaker:',
} as const;

const policySchema = v.discriminatedUnion('kind', [
  v.object({ kind: v.literal('consecutive'), threshold: positiveInteger }),
  v.object({
    kind: v.literal('ratio'),
    threshold: expected<number>('a number > 0 and <= 1', (v) => typeof v === 'number' && v > 0 && v <= 1),
    windowMs: positiveNumber,
    minThroughput: positiveInteger,
  }),
], { error: "'consecutive' or 'ratio'" });



const schema = v
  .object({
    policy: policySchema.optional(),
    openMs: positiveNumber.optional(),
    maxOpenMs: positiveNumber.optional(),
    halfOpenProbes: positiveInteger.optional(),
    maxEjectedPercent: expected<number>('a number between 0 and 100', (v) => typeof v === 'number' && v >= 0 && v <= 100).optional(),
    scope: expected<'instance' | 'instance+operation'>(
      "'instance' or 'instance+operation'",
      (v) => v === 'instance' || v === 'instance+operation',
    ).optional(),
    store: storeSchema.optional(),
    syncIntervalMs: nonNegativeNumber.optional(),
    keyPrefix: v.string().optional(),
    clock: clockSchema.optional(),
    on: v
      .object({ stateChange: fn<NonNullable<BreakerHooks['stateChange']>>().optional(), storeError: fn<NonNullable<BreakerHooks['storeError']>>().optional() })
      .optional(),
  });

export type ResolvedBreakerOptions = Required<Omit<BreakerOptions, 'store' | 'clock' | 'on'>> & {
  store: Store | undefined;
  on: BreakerHooks | undefined;
};

/** Validates breaker options and applies the defaults. */
export function resolveBreakerOptions(options: BreakerOptions | undefined): ResolvedBreakerOptions & { clock: Clock | undefined } {
  const parsed = parseOptions(schema, options ?? {}) as BreakerOptions;
  const openMs = parsed.openMs ?? BREAKER_DEFAULTS.openMs;
  const maxOpenMs = parsed.maxOpenMs ?? Math.max(openMs, BREAKER_DEFAULTS.maxOpenMs);
  if (maxOpenMs < openMs) {
    throw new SwitchyardError('INVALID_CONFIG', `Expected \`maxOpenMs\` to be a number >= openMs (${openMs}), got ${maxOpenMs}`);
  }
  return {
    policy: parsed.policy ?? BREAKER_DEFAULTS.policy,
    openMs,
    maxOpenMs,
    halfOpenProbes: parsed.halfOpenProbes ?? BREAKER_DEFAULTS.halfOpenProbes,
    maxEjectedPercent: parsed.maxEjectedPercent ?? BREAKER_DEFAULTS.maxEjectedPercent,
    scope: parsed.scope ?? BREAKER_DEFAULTS.scope,
    store: parsed.store,
    syncIntervalMs: parsed.syncIntervalMs ?? BREAKER_DEFAULTS.syncIntervalMs,
    keyPrefix: parsed.keyPrefix ?? BREAKER_DEFAULTS.keyPrefix,
    clock: parsed.clock,
    on: parsed.on,
  };
}
