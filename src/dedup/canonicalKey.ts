import { SwitchyardError } from '../errors/SwitchyardError.js';

const MAX_DEPTH = 100;

function invalid(what: string, path: string): SwitchyardError {
  return new SwitchyardError(
    'INVALID_INPUT',
    `Expected the dedup key's \`data\` to be plain data, found ${what} at \`${path}\``,
  );
}

function constructorName(value: object): string | undefined {
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
  if (proto === null || proto === Object.prototype) return undefined;
  const name = proto.constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'Anonymous';
}

function hex(view: ArrayBufferView): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

function encode(value: unknown, path: string, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // -0 and 0 are the same key; NaN and ±Infinity stay distinct from every string (strings are quoted).
      return value === 0 ? '0' : String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'undefined';
    case 'bigint':
      return `${value}n`;
    case 'function':
      throw invalid('a function', path);
    case 'symbol':
      throw invalid('a symbol', path);
    default:
      break;
  }
  if (value === null) return 'null';
  const object = value as object;
  if (ancestors.has(object)) throw invalid('a cycle', path);
  if (ancestors.size >= MAX_DEPTH) throw invalid(`nesting deeper than ${MAX_DEPTH}`, path);
  if (object instanceof Date) {
    const time = object.getTime();
    return `Date(${Number.isNaN(time) ? 'NaN' : object.toISOString()})`;
  }
  ancestors.add(object);
  try {
    if (Array.isArray(object)) {
      let out = '[';
      for (let i = 0; i < object.length; i += 1) {
        if (i > 0) out += ',';
        out += encode(object[i], `${path}[${i}]`, ancestors);
      }
      return `${out}]`;
    }
    if (object instanceof Map) {
      const entries: string[] = [];
      for (const [k, v] of object) {
        const keyText = encode(k, `${path}<key>`, ancestors);
        entries.push(`${keyText}=>${encode(v, `${path}<${keyText}>`, ancestors)}`);
      }
      return `Map{${entries.sort().join(',')}}`;
    }
    if (object instanceof Set) {
      const members: string[] = [];
      for (const member of object) members.push(encode(member, `${path}<member>`, ancestors));
      return `Set{${members.sort().join(',')}}`;
    }
    if (ArrayBuffer.isView(object)) return `${constructorName(object)}(${hex(object)})`;
    if (object instanceof ArrayBuffer) return `ArrayBuffer(${hex(new Uint8Array(object))})`;
    if (object instanceof RegExp) return `RegExp(${JSON.stringify(object.toString())})`;
    if (typeof URL !== 'undefined' && object instanceof URL) return `URL(${JSON.stringify(object.href)})`;
    // State held in internal slots: encode the entries, or two different queries share a key.
    if (
      (typeof URLSearchParams !== 'undefined' && object instanceof URLSearchParams) ||
      (typeof Headers !== 'undefined' && object instanceof Headers)
    ) {
      const entries: [string, string][] = [];
      object.forEach((value, key) => entries.push([key, value]));
      return `${constructorName(object)}${encode(entries.sort(compareEntries), path, ancestors)}`;
    }
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      return `${constructorName(object) ?? ''}toJSON(${encode(toJSON.call(object), path, ancestors)})`;
    }
    for (const symbol of Object.getOwnPropertySymbols(object)) {
      if (Object.prototype.propertyIsEnumerable.call(object, symbol)) throw invalid('a symbol key', path);
    }
    const record = object as Record<string, unknown>;
    const prototype = Object.getPrototypeOf(object) as object | null;
    if (prototype !== Object.prototype && prototype !== null && Object.keys(record).length === 0) {
      // A class instance with no enumerable state (private fields, internal slots) would encode as
      // `Name{}` whatever it holds.
      throw invalid(`a ${constructorName(object) ?? 'class'} instance with no enumerable state (pass plain data or give it toJSON)`, path);
    }
    let out = `${constructorName(object) ?? ''}{`;
    let first = true;
    for (const key of Object.keys(record).sort()) {
      const member = record[key];
      // An absent property and one set to undefined are the same request (JSON drops both).
      if (member === undefined) continue;
      if (!first) out += ',';
      first = false;
      out += `${JSON.stringify(key)}:${encode(member, `${path}.${key}`, ancestors)}`;
    }
    return `${out}}`;
  } finally {
    ancestors.delete(object);
  }
}

function compareEntries(a: [string, string], b: [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/**
 * A deterministic text form of `value` for dedup and cache keys: equal data gives an equal key.
 *
 * Object key order does not matter, and a property set to `undefined` equals an absent one (as in
 * JSON). Dates, BigInts, `undefined`, NaN, Maps and Sets (order-free), typed arrays, URLs and
 * class instances (tagged with their class name) each encode one way, distinct from strings that
 * look like them. Functions, symbols, cycles and nesting deeper than 100 throw
 * `SwitchyardError('INVALID_INPUT')` naming the path, because a key that silently drops them could
 * merge two different requests.
 *
 * @example
 * canonicalKey({ b: 1, a: [1n, new Date(0)] }) === canonicalKey({ a: [1n, new Date(0)], b: 1 }); // true
 */
export function canonicalKey(value: unknown): string {
  return encode(value, 'data', new Set());
}
