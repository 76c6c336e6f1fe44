import { expected, parseOptions, v } from '../_internal/validate.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { Instance } from './types.js';

/** An instance URL: absolute http(s), since workers join paths onto it and send credentials to it. */
export function isInstanceUrl(value: unknown): boolean {
  return typeof value === 'string' && /^https?:\/\//i.test(value) && URL.canParse(value);
}

const instanceSchema = v.looseObject({
  id: expected<string>('a non-empty string', (value) => typeof value === 'string' && value.length > 0),
  url: expected<string>('an absolute http(s) URL', isInstanceUrl).optional(),
  region: v.string().optional(),
  weight: expected<number>('a finite number >= 0', (value) => typeof value === 'number' && Number.isFinite(value) && value >= 0).optional(),
  tags: v.array(v.string()).optional(),
  meta: v.record(v.string(), v.unknown()).optional(),
});

const listSchema = v.array(instanceSchema);

/**
 * Validates a list of instances, well-formed and with unique ids, throwing `INVALID_CONFIG`
 * that names the index and field: "Expected `instances.1.url` to be an absolute http(s) URL".
 *
 * With `redact`, the message leaves out the value: a list found at request time (a router's or a
 * lookup's answer) may hold credentials in a URL.
 */
export function validateInstances(instances: unknown, field = 'instances', redact = false): readonly Instance[] {
  try {
    parseOptions(listSchema, instances, field);
  } catch (error) {
    if (!redact) throw error;
    throw new SwitchyardError('INVALID_CONFIG', (error as Error).message.replace(/, got [\s\S]*$/, ''));
  }
  const list = instances as readonly Instance[];
  const seen = new Set<string>();
  list.forEach((instance, index) => {
    if (seen.has(instance.id)) {
      const value = redact ? '' : `, got "${instance.id}" twice`;
      throw new SwitchyardError('INVALID_CONFIG', `Expected \`${field}.${index}.id\` to be unique${value}`);
    }
    seen.add(instance.id);
  });
  return list;
}
