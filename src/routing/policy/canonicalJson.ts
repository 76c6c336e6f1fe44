import { sha256Hex } from '../../_internal/sha256.js';

/**
 * JSON with object keys sorted at every depth and no whitespace: two documents that mean the same
 * thing (keys in another order, YAML or JSON) give the same text, and so the same checksum.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
}

/** SHA-256 (hex) over the canonical JSON of a policy document. */
export function policyChecksum(document: unknown): string {
  return sha256Hex(canonicalJson(document));
}
