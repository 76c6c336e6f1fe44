import type { Instance, InstanceRouter, RouteInput } from '../router/types.js';
import type { AnyCall } from './call.js';
import { lazySignal, type SignalSource } from './lazySignal.js';

/** What a router gets: the call's data, plus the call's signal, read lazily. */
class RouteRequest implements RouteInput<unknown, unknown> {
  readonly #source: SignalSource;
  declare readonly signal: AbortSignal;
  readonly operation: string;
  readonly data: unknown;
  readonly context: unknown;

  constructor(call: AnyCall) {
    this.operation = call.operation;
    this.data = call.data;
    this.context = call.context;
    this.#source = call;
    Object.defineProperty(this, 'signal', ROUTE_SIGNAL);
  }

  static sourceOf(request: object): SignalSource {
    return (request as RouteRequest).#source;
  }
}

const ROUTE_SIGNAL = lazySignal(RouteRequest.sourceOf);

/**
 * Step 1: the instances of a call, from its list or its router, handed to `call.admit`. A router
 * that throws or rejects fails the call. A synchronous router answers in the same tick.
 */
export function route(call: AnyCall, target: readonly Instance[] | InstanceRouter<unknown, unknown>): void {
  if (Array.isArray(target)) return call.admit(target);
  let routing: readonly Instance[] | Promise<readonly Instance[]>;
  try {
    routing = (target as InstanceRouter<unknown, unknown>).route(new RouteRequest(call));
  } catch (error) {
    return call.fail(error);
  }
  if (Array.isArray(routing)) return call.admit(routing);
  Promise.resolve(routing).then(
    (instances) => call.admit(instances),
    (error: unknown) => call.fail(error),
  );
}
