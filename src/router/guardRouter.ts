import { isSwitchyardError, isUpstreamFailure, SwitchyardError } from '../errors/SwitchyardError.js';
import type { Instance, InstanceRouter, RouteInput } from './types.js';
import { checkInstancesOnce } from './validateInstances.js';

function checkRouted(instances: readonly Instance[], operation: string): readonly Instance[] {
  return checkInstancesOnce(instances, () => `route(${JSON.stringify(operation)})`, true);
}

function routerFailed(error: unknown, operation: string): unknown {
  // A router's own SwitchyardError (NO_SHARD_KEY, UNKNOWN_TENANT, …) already says what happened;
  // an HTTP client's error from a lookup the router made is the router failing.
  if (isSwitchyardError(error) && !isUpstreamFailure(error)) return error;
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
