import { z } from 'zod';
import type { Clock } from './clock.js';
import type { Store } from '../stores/types.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';

/** A schema whose failure message completes "Expected `field` to be …". */
export function expected<T>(description: string, check: (value: unknown) => boolean) {
  return z.custom<T>((value) => check(value), { message: description });
}

export const positiveNumber = expected<number>(
  'a finite number > 0',
  (v) => typeof v === 'number' && Number.isFinite(v) && v > 0,
);
export const nonNegativeNumber = expected<number>(
  'a finite number >= 0',
  (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0,
);
export const positiveInteger = expected<number>(
  'an integer >= 1',
  (v) => typeof v === 'number' && Number.isInteger(v) && v >= 1,
);
export const ratio = expected<number>(
  'a number between 0 and 1',
  (v) => typeof v === 'number' && v >= 0 && v <= 1,
);
export const fn = <F>() => expected<F>('a function', (v) => typeof v === 'function');

function render(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined) return 'undefined';
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function at(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

type Issue = z.core.$ZodIssue;

/** For a union (`false | { … }`), the issue of the branch that got furthest names the real field. */
function deepest(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  let best: Issue | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first === undefined) continue;
    const candidate = deepest({ ...first, path: [...issue.path, ...first.path] } as Issue);
    if (best === undefined || candidate.path.length > best.path.length) best = candidate;
  }
  return best !== undefined && best.path.length > issue.path.length ? best : issue;
}

/**
 * Parses options with a zod schema, throwing `INVALID_CONFIG` whose message names the field:
 * "Expected `retry.maxAttempts` to be an integer >= 1, got 0".
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix = '',
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = deepest(result.error.issues[0]!);
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  const received = at(input, issue.path);
  const description =
    issue.code === 'invalid_type' ? `of type ${issue.expected}` : issue.code === 'unrecognized_keys'
      ? `without unknown keys (${issue.keys.join(', ')})`
      : issue.message;
  throw new SwitchyardError(
    'INVALID_CONFIG',
    `Expected \`${path || 'options'}\` to be ${description}, got ${render(received)}`,
  );
}

/** An object with every one of `methods` as a function (a structural check for extension points). */
function hasMethods(value: unknown, methods: readonly string[]): boolean {
  return typeof value === 'object' && value !== null && methods.every((k) => typeof (value as Record<string, unknown>)[k] === 'function');
}

export const clockSchema = expected<Clock>('a Clock ({ now, setTimeout, clearTimeout })', (v) =>
  hasMethods(v, ['now', 'setTimeout', 'clearTimeout']),
);

export const storeSchema = expected<Store>('a Store ({ get, set, delete, deletePrefix })', (v) =>
  hasMethods(v, ['get', 'set', 'delete', 'deletePrefix']),
);

/** A timer delay: setTimeout fires at once for delays past 2^31 - 1 ms, so larger ones are refused. */
export const timerMs = expected<number>(
  'a number of milliseconds > 0 and at most 2147483647',
  (v) => typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 2_147_483_647,
);
