import { isSwitchyardError, SwitchyardError } from '../errors/SwitchyardError.js';
import type { Instance, InstanceRouter, RouteInput } from './types.js';
import { validateInstances } from './validateInstances.js';

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

function checkRouted(instances: readonly Instance[], operation: string): readonly Instance[] {
  if (checkedLists.has(instances)) return instances;
  if (!Array.isArray(instances) || !allChecked(instances) || !uniqueIds(instances)) {
    validateInstances(instances, `route(${JSON.stringify(operation)})`, true);
    for (const instance of instances) checkedInstances.add(instance);
  }
  if (Object.isFrozen(instances)) checkedLists.add(instances);
  return instances;
}

function routerFailed(error: unknown, operation: string): unknown {
  // A router's own SwitchyardError (NO_SHARD_KEY, UNKNOWN_TENANT, …) already says what happened.
  if (isSwitchyardError(error)) return error;
  return new SwitchyardError('ROUTER_FAILED', `The router failed for "${operation}"`, { cause: error });
}

/**
 * Wraps a router so its mistakes are reported as mistakes: a throw or rejection becomes
 * `ROUTER_FAILED` (the original on `cause`, none of its text in the message), and an answer that
 * is not a list of valid instances with unique ids is `INVALID_CONFIG` naming the index and field,
 * never the value. Without this, both would end as a worker failure (`ALL_FAILED`) or a raw error.
 */
export function guardRouter<Data, Ctx>(router: InstanceRouter<Data, Ctx>): InstanceRouter<Data, Ctx> {
  return {
    route(input: RouteInput<Data, Ctx>) {
      let routed: readonly Instance[] | Promise<readonly Instance[]>;
      try {
        routed = router.route(input);
      } catch (error) {
        throw routerFailed(error, input.operation);
      }
      if (Array.isArray(routed)) return checkRouted(routed, input.operation);
      return Promise.resolve(routed).then(
        (instances) => checkRouted(instances, input.operation),
        (error: unknown) => {
          throw routerFailed(error, input.operation);
        },
      );
    },
  };
}
