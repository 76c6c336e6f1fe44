/** Deeper values are not plain data as far as caching goes: a bound on the recursion. */
const MAX_DEPTH = 1000;

/** True when `JSON.parse(JSON.stringify(value))` deep-equals `value` (undefined properties aside). */
function isJsonData(value: unknown, depth: number, ancestors: Set<object>): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth > MAX_DEPTH || ancestors.has(value)) return false;
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i += 1) {
        if (!isJsonData(value[i], depth + 1, ancestors)) return false;
      }
      return true;
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return false;
    for (const key in value) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined && !isJsonData(member, depth + 1, ancestors)) return false;
    }
    return true;
  } finally {
    ancestors.delete(value);
  }
}

/**
 * A way to give each extra caller its own copy of `value`, or undefined when it cannot be copied
 * faithfully (not plain JSON data). Primitives need no copy. The copy is what a cache hit returns.
 */
export function copierOf(value: unknown): (() => unknown) | undefined {
  if (typeof value !== 'object' || value === null) return () => value;
  if (!isJsonData(value, 0, new Set())) return undefined;
  const text = JSON.stringify(value);
  return () => JSON.parse(text) as unknown;
}

/** UTF-8 length of `text`, without allocating. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

export type Encoded =
  | { ok: true; text: string; bytes: number }
  | { ok: false; reason: 'not-serialisable' | 'too-large'; bytes?: number };

/**
 * The cached form of a result: `{"f":freshUntil,"g":generations,"v":value}` as JSON (`g` only on
 * shared stores, see `_generations.ts`). Only values that come back
 * from JSON equal to what went in are cached, so a cache hit returns what a fresh call would have.
 */
export function encodeEntry(value: unknown, freshUntil: number, maxBytes: number, generations?: string): Encoded {
  if (value !== undefined && !isJsonData(value, 0, new Set())) return { ok: false, reason: 'not-serialisable' };
  const head = generations === undefined ? `{"f":${freshUntil}` : `{"f":${freshUntil},"g":${JSON.stringify(generations)}`;
  const text = value === undefined ? `${head}}` : `${head},"v":${JSON.stringify(value)}}`;
  // A UTF-16 code unit is at most 3 UTF-8 bytes: count exactly only near the limit.
  if (text.length * 3 <= maxBytes) return { ok: true, text, bytes: text.length };
  const bytes = text.length > maxBytes ? text.length : utf8Length(text);
  if (bytes > maxBytes) return { ok: false, reason: 'too-large', bytes };
  return { ok: true, text, bytes };
}

export type Decoded = { ok: true; freshUntil: number; generations: string | undefined; value: unknown } | { ok: false };

/** Reads what {@link encodeEntry} wrote; anything else (a foreign or corrupt entry) is `{ ok: false }`. */
export function decodeEntry(text: string): Decoded {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return { ok: false };
    const { f, g, v } = parsed as { f?: unknown; g?: unknown; v?: unknown };
    if (typeof f !== 'number' || (g !== undefined && typeof g !== 'string')) return { ok: false };
    return { ok: true, freshUntil: f, generations: g, value: v };
  } catch {
    return { ok: false };
  }
}
