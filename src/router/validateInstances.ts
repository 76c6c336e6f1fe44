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

/** Frozen lists already checked (staticRouter's): they cannot change, so they are checked once. */
const checkedLists = new WeakSet<readonly Instance[]>();
/**
 * Instance objects already checked. Routers usually hand out the same objects call after call
 * (filtered, looked up, cached), and a full check costs a URL parse per instance: a hundred
 * instances would cost more than the fan-out itself. A known object only needs the id check.
 */
const checkedInstances = new WeakSet<object>();

function allChecked(instances: readonly unknown[]): boolean {
  for (const instance of instances) {
    if (typeof instance !== 'object' || instance === null || !checkedInstances.has(instance)) return false;
  }
  return true;
}

function uniqueIds(instances: readonly Instance[]): boolean {
  if (instances.length < 2) return true;
  const ids = new Set<string>();
  for (const { id } of instances) {
    if (ids.has(id)) return false;
    ids.add(id);
  }
  return true;
}

/**
 * {@link validateInstances} for lists checked on every call (a router's answer, `fanOutTo`'s
 * instances): an instance object that passed once is trusted afterwards, so a call only pays for
 * the id check. (An instance object mutated after it was first checked is not checked again.)
 */
export function checkInstancesOnce(instances: readonly Instance[], field: string | (() => string), redact: boolean): readonly Instance[] {
  if (checkedLists.has(instances)) return instances;
  if (!Array.isArray(instances) || !allChecked(instances) || !uniqueIds(instances)) {
    validateInstances(instances, typeof field === 'string' ? field : field(), redact);
    for (const instance of instances) checkedInstances.add(instance);
  }
  if (Object.isFrozen(instances)) checkedLists.add(instances);
  return instances;
}
