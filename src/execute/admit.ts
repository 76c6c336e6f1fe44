import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { Instance } from '../router/types.js';
import type { AnyCall } from './call.js';
import { InstanceRun } from './retry.js';

/** Below this many instances a linear scan finds a repeated id faster than a Set is built. */
const SMALL = 16;

function isInstanceList(instances: unknown): instances is readonly Instance[] {
  if (!Array.isArray(instances)) return false;
  for (const instance of instances) {
    if (typeof instance !== 'object' || instance === null || typeof (instance as Instance).id !== 'string') return false;
  }
  return true;
}

function known(runs: readonly InstanceRun[], id: string): boolean {
  for (const run of runs) if (run.instance.id === id) return true;
  return false;
}

/**
 * Step 2: the router's answer, checked, with one run per distinct instance, each admitted by its
 * breaker (a permit) or not (`circuitOpen`). Throws what the call should reject with.
 */
export function admit(call: AnyCall, instances: readonly Instance[]): InstanceRun[] {
  if (!isInstanceList(instances)) {
    // A router bug, found at request time: say what was expected, never echo the data.
    throw new SwitchyardError('INVALID_INPUT', `Expected the router of "${call.operation}" to return an array of instances with string ids`);
  }
  const permits = call.config.breakers?.admit(instances, call.operation);
  const runs: InstanceRun[] = [];
  const seen = instances.length > SMALL ? new Set<string>() : undefined;
  for (const instance of instances) {
    const id = instance.id;
    if (seen !== undefined) {
      if (seen.has(id)) continue;
      seen.add(id);
    } else if (known(runs, id)) continue;
    const permit = permits?.get(id);
    const run = new InstanceRun(call, instance, permit === 'circuit-open' ? undefined : permit, permit === 'circuit-open');
    if (call.report !== undefined) run.report = call.report.instance(id);
    runs.push(run);
  }
  return runs;
}
