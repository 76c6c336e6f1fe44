import { fn, parseOptions } from '../_internal/validate.js';
import type { Instance, InstanceRouter, RouteInput } from './types.js';

/**
 * Keeps only the instances `keep` accepts, e.g. those a scope may access or that are healthy.
 * An empty result ends the call with `NO_INSTANCES`.
 */
export function filterRouter<Data, Ctx>(
  router: InstanceRouter<Data, Ctx>,
  keep: (instance: Instance, input: RouteInput<Data, Ctx>) => boolean,
): InstanceRouter<Data, Ctx> {
  parseOptions(fn(), router?.route, 'router.route');
  parseOptions(fn(), keep, 'keep');
  return {
    route(input) {
      const routed = router.route(input);
      const apply = (instances: readonly Instance[]) => instances.filter((instance) => keep(instance, input));
      return Array.isArray(routed) ? apply(routed) : Promise.resolve(routed).then(apply);
    },
  };
}
