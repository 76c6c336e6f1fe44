import { parseOptions, v } from '../_internal/validate.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { Instance, InstanceRouter } from './types.js';

export const instanceSchema = v.object({
  id: v.custom<string>((v) => typeof v === 'string' && v.length > 0, { message: 'a non-empty string' }),
  url: v.custom<string>((v) => typeof v === 'string' && URL.canParse(v), { message: 'an absolute URL' }).optional(),
  region: v.string().optional(),
  weight: v.custom<number>((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0, { message: 'a finite number >= 0' }).optional(),
  tags: v.array(v.string()).optional(),
  meta: v.record(v.string(), v.unknown()).optional(),
});

/** Validates a list of instances: well-formed and with unique ids. */
export function validateInstances(instances: unknown, field = 'instances'): readonly Instance[] {
  const parsed = parseOptions(v.array(instanceSchema.passthrough()), instances, field) as Instance[];
  const seen = new Set<string>();
  parsed.forEach((instance, index) => {
    if (seen.has(instance.id)) {
      throw new SwitchyardError('INVALID_CONFIG', `Expected \`${field}.${index}.id\` to be unique, got "${instance.id}" twice`);
    }
    seen.add(instance.id);
  });
  return instances as readonly Instance[];
}

/**
 * Always routes to the same instances ("try all; let each return 403 if the user is not a
 * member" — the seeds' Option C).
 */
export function staticRouter(instances: readonly Instance[]): InstanceRouter {
  const list = Object.freeze([...validateInstances(instances)]);
  return { route: () => list };
}
