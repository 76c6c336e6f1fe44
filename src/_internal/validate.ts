import type { Clock } from './clock.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';

// Option checks by hand instead of classic zod: zod costs ~90 KB gzipped in the core entry (and
// zod/mini still ~7 KB), where these few combinators cost well under 2 KB and give the messages
// switchyard wants ("Expected `retry.maxAttempts` to be an integer >= 1, got 0", "Unknown option
// `timeout`; did you mean `timeoutMs`?"). The surface mirrors zod's, so schemas read the same.

type Path = readonly (string | number)[];

/** Why a value failed: the field, and what was expected there (or the unknown key and its neighbours). */
export interface Issue {
  path: Path;
  expected: string;
  known?: readonly string[];
}

interface RefineContext {
  addIssue(issue: { code?: string; path?: Path; message: string }): void;
}

/** A check of one value; `T` is the type it proves. */
export interface Schema<T> {
  /** Phantom: the checked type. */
  readonly _output?: T;
  check(value: unknown, path: Path): Issue | undefined;
  optional(): Schema<T | undefined>;
  refine(check: (value: T) => boolean, options: { message: string }): Schema<T>;
  superRefine(check: (value: T, ctx: RefineContext) => void): Schema<T>;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;
type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends Infer<S[K]> ? K : never }[keyof S];
type ObjectOutput<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & {
  [K in OptionalKeys<S>]?: Infer<S[K]>;
};

export interface ObjectSchema<S extends Shape> extends Schema<ObjectOutput<S>> {
  readonly shape: S;
  /** Accepts keys the shape does not name (for objects that other code reads more of). */
  passthrough(): ObjectSchema<S>;
  extend<E extends Shape>(extra: E): ObjectSchema<Omit<S, keyof E> & E>;
}

export interface ArraySchema<T> extends Schema<T[]> {
  min(length: number, options: { error: string }): Schema<T[]>;
}

function schema<T>(check: (value: unknown, path: Path) => Issue | undefined): Schema<T> {
  return {
    check,
    optional: () => schema<T | undefined>((value, path) => (value === undefined ? undefined : check(value, path))),
    refine: (ok, { message }) => schema<T>((value, path) => check(value, path) ?? (ok(value as T) ? undefined : { path, expected: message })),
    superRefine: (refineWith) =>
      schema<T>((value, path) => {
        const first = check(value, path);
        if (first !== undefined) return first;
        let found: Issue | undefined;
        refineWith(value as T, {
          addIssue: (issue) => {
            found ??= { path: [...path, ...(issue.path ?? [])], expected: issue.message };
          },
        });
        return found;
      }),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectSchema<S extends Shape>(shape: S, loose: boolean): ObjectSchema<S> {
  const keys = Object.keys(shape);
  const base = schema<ObjectOutput<S>>((value, path) => {
    if (!isRecord(value)) return { path, expected: 'an object' };
    // Unknown keys first: a misspelled key is the likely reason a known one looks missing.
    if (!loose) {
      for (const key of Object.keys(value)) {
        if (!Object.hasOwn(shape, key)) return { path: [...path, key], expected: '', known: keys };
      }
    }
    for (const key of keys) {
      const issue = shape[key]!.check(value[key], [...path, key]);
      if (issue !== undefined) return issue;
    }
    return undefined;
  });
  return {
    ...base,
    shape,
    passthrough: () => objectSchema(shape, true),
    extend: <E extends Shape>(extra: E) => objectSchema({ ...shape, ...extra } as Omit<S, keyof E> & E, loose),
  };
}

/** Plain checks with zod's names, for option schemas. */
export const v = {
  /** An object with exactly these keys: an unknown key is an error with a suggestion. */
  object: <S extends Shape>(shape: S): ObjectSchema<S> => objectSchema(shape, false),
  strictObject: <S extends Shape>(shape: S): ObjectSchema<S> => objectSchema(shape, false),
  looseObject: <S extends Shape>(shape: S): ObjectSchema<S> => objectSchema(shape, true),
  custom: <T>(check: (value: unknown) => boolean, options: { message: string }): Schema<T> =>
    schema<T>((value, path) => (check(value) ? undefined : { path, expected: options.message })),
  string: (): Schema<string> => expected<string>('a string', (value) => typeof value === 'string'),
  boolean: (): Schema<boolean> => expected<boolean>('a boolean', (value) => typeof value === 'boolean'),
  unknown: (): Schema<unknown> => schema<unknown>(() => undefined),
  any: (): Schema<any> => schema<any>(() => undefined),
  literal: <const L extends string | number | boolean>(literal: L): Schema<L> =>
    expected<L>(typeof literal === 'string' ? `'${literal}'` : String(literal), (value) => value === literal),
  enum: <const L extends string>(values: readonly L[]): Schema<L> =>
    expected<L>(values.map((value) => `'${value}'`).join(' or '), (value) => (values as readonly unknown[]).includes(value)),
  array: <T>(item: Schema<T>): ArraySchema<T> => {
    const check = (value: unknown, path: Path): Issue | undefined => {
      if (!Array.isArray(value)) return { path, expected: 'an array' };
      for (let index = 0; index < value.length; index += 1) {
        const issue = item.check(value[index], [...path, index]);
        if (issue !== undefined) return issue;
      }
      return undefined;
    };
    return {
      ...schema<T[]>(check),
      min: (length, { error }) =>
        schema<T[]>((value, path) => check(value, path) ?? ((value as unknown[]).length >= length ? undefined : { path, expected: error })),
    };
  },
  /** An object used as a map: every key passes `key`, every value passes `value`. */
  record: <K extends string, T>(key: Schema<K>, value: Schema<T>): Schema<Record<K, T>> =>
    schema<Record<K, T>>((input, path) => {
      if (!isRecord(input)) return { path, expected: 'an object' };
      for (const [name, item] of Object.entries(input)) {
        const issue = key.check(name, [...path, name]) ?? value.check(item, [...path, name]);
        if (issue !== undefined) return issue;
      }
      return undefined;
    }),
  /** One of several shapes; the branch that got furthest into the value names the real problem. */
  union: <const U extends readonly Schema<unknown>[]>(options: U): Schema<Infer<U[number]>> =>
    schema<Infer<U[number]>>((value, path) => {
      let best: Issue | undefined;
      const atRoot: string[] = [];
      for (const option of options) {
        const issue = option.check(value, path);
        if (issue === undefined) return undefined;
        if (issue.path.length === path.length && issue.known === undefined) atRoot.push(issue.expected);
        else if (best === undefined || issue.path.length > best.path.length) best = issue;
      }
      return best ?? { path, expected: atRoot.join(' or ') };
    }),
  /** One of several object shapes picked by the value of `key`. */
  discriminatedUnion: <const U extends readonly ObjectSchema<Shape>[]>(
    key: string,
    options: U,
    settings: { error: string },
  ): Schema<Infer<U[number]>> =>
    schema<Infer<U[number]>>((value, path) => {
      if (!isRecord(value)) return { path, expected: 'an object' };
      const branch = options.find((option) => option.shape[key]!.check(value[key], []) === undefined);
      return branch === undefined ? { path: [...path, key], expected: settings.error } : branch.check(value, path);
    }),
};

/** A schema whose failure message completes "Expected `field` to be …". */
export function expected<T>(description: string, check: (value: unknown) => boolean): Schema<T> {
  return v.custom<T>(check, { message: description });
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

/** A value as a message shows it: short, and a non-finite number by its name (JSON would say `null`). */
export function render(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value} (not a finite number)`;
  if (value === undefined) return 'undefined';
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function at(value: unknown, path: Path): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Edit distance, for "did you mean"; the words are option names, so the quadratic cost is nothing. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The known key closest to `key`, if one is close enough to be a likely typo. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of known) {
    const other = candidate.toLowerCase();
    const score = other.startsWith(lower) || lower.startsWith(other) ? 0.5 : distance(lower, other);
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return bestScore <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

const join = (parts: readonly (string | number)[]) => parts.filter((part) => part !== '').join('.');

/** The `INVALID_CONFIG` error for an unknown option key, with the closest known key suggested. */
export function unknownOption(field: string, known: readonly string[]): SwitchyardError {
  const parts = field.split('.');
  const key = parts.pop()!;
  const match = suggest(key, known);
  const hint =
    match !== undefined
      ? `; did you mean \`${join([...parts, match])}\`?`
      : known.length > 0
        ? ` (known options: ${known.map((name) => `\`${name}\``).join(', ')})`
        : '';
  return new SwitchyardError('INVALID_CONFIG', `Unknown option \`${field}\`${hint}`);
}

/**
 * Checks options against a schema, throwing `INVALID_CONFIG` whose message names the field:
 * "Expected `retry.maxAttempts` to be an integer >= 1, got 0", or for a key the schema does not
 * know, "Unknown option `timeout`; did you mean `timeoutMs`?".
 */
export function parseOptions<T>(schema: Schema<T>, input: unknown, prefix = ''): T {
  const issue = schema.check(input, []);
  if (issue === undefined) return input as T;
  const path = join([prefix, ...issue.path]);
  if (issue.known !== undefined) throw unknownOption(path, issue.known);
  throw new SwitchyardError(
    'INVALID_CONFIG',
    `Expected \`${path || 'options'}\` to be ${issue.expected}, got ${render(at(input, issue.path))}`,
  );
}

/** An object with every one of `methods` as a function (a structural check for extension points). */
export function hasMethods(value: unknown, methods: readonly string[]): boolean {
  return typeof value === 'object' && value !== null && methods.every((k) => typeof (value as Record<string, unknown>)[k] === 'function');
}

export const clockSchema = expected<Clock>('a Clock ({ now, setTimeout, clearTimeout })', (v) =>
  hasMethods(v, ['now', 'setTimeout', 'clearTimeout']),
);

/** A timer delay: setTimeout fires at once for delays past 2^31 - 1 ms, so larger ones are refused. */
export const timerMs = expected<number>(
  'a number of milliseconds > 0 and at most 2147483647',
  (v) => typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 2_147_483_647,
);
