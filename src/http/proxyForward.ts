import { SwitchyardError, isSwitchyardError } from '../errors/SwitchyardError.js';
import { createProxy, type Proxy, type ProxyHandleInit, type ProxyOptions } from './createProxy.js';

/** Options of {@link proxyForward}: `createProxy` options for every target (the target and its label come from the route). */
export type ProxyForwardOptions = Omit<ProxyOptions, 'target' | 'name'>;

/**
 * The parts of a matched route that forwarding reads; `switchyard/routing`'s `RouteMatch` and
 * `MatchedTarget` have them.
 */
export interface ForwardTarget {
  /** The target's origin (scheme, host and port). */
  origin: string;
  /** Path and query to send, built from the route. */
  path: string;
}

/** The route a request matched, as forwarding sees it. */
export interface ForwardMatch {
  route: { name: string };
}

/** A runtime router's `forward`: sends a matched request to its target. */
export type ProxyForward = (
  request: Request,
  target: ForwardTarget,
  match: ForwardMatch,
  init: { clientAddress?: string | undefined; signal?: AbortSignal | undefined },
) => Promise<Response>;

/**
 * Forwards the requests a runtime router matches through `createProxy`, one proxy per route and
 * target origin, created on first use. Pass it as `createRuntimeRouter({ forward })` from
 * `switchyard/routing`, which holds no proxy code itself. Options are checked now, so a typo fails
 * at startup.
 *
 * @example
 * const router = createRuntimeRouter({ load, forward: proxyForward({ timeoutMs: 30_000 }) });
 */
export function proxyForward(options: ProxyForwardOptions = {}): ProxyForward {
  try {
    createProxy({ ...options, target: 'http://127.0.0.1' });
  } catch (error) {
    if (isSwitchyardError(error)) throw new SwitchyardError(error.code, error.message.replace('`createProxy.', '`proxyForward.'));
    throw error;
  }
  // Keyed by the route object of a loaded table: when the table is replaced, its proxies go with it.
  const proxies = new WeakMap<object, Map<string, Proxy>>();
  return (request, target, match, init) => {
    let byOrigin = proxies.get(match.route);
    if (byOrigin === undefined) {
      byOrigin = new Map();
      proxies.set(match.route, byOrigin);
    }
    let proxy = byOrigin.get(target.origin);
    if (proxy === undefined) {
      proxy = createProxy({ ...options, target: target.origin, name: match.route.name });
      byOrigin.set(target.origin, proxy);
    }
    const handleInit: ProxyHandleInit = { path: target.path, clientAddress: init.clientAddress };
    if (init.signal !== undefined) handleInit.signal = init.signal;
    return proxy.handle(request, handleInit);
  };
}
