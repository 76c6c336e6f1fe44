import type { Instance, InstanceRouter } from './types.js';
import { validateInstances } from './validateInstances.js';

/**
 * Always routes to the same instances ("try all; let each return 403 if the user is not a
 * member" — the seeds' Option C). The list is checked here, so a bad id or URL fails at startup.
 */
export function staticRouter<Data = unknown, Ctx = unknown>(instances: readonly Instance[]): InstanceRouter<Data, Ctx> {
  const list = Object.freeze([...validateInstances(instances)]);
  return { route: () => list };
}
