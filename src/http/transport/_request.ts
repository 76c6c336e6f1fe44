import { ABORTABLE, type Abortable } from '../../_internal/abortable.js';
import type { TransportRequest } from './types.js';

/** Whatever gives a request its signal when it is first read: an attempt, a proxy's abort source. */
export interface SignalSource {
  readonly signal: AbortSignal;
}

interface State {
  readonly source: SignalSource;
  readonly abortable: Abortable;
}

/**
 * Where a request keeps its source: a non-enumerable own property under a symbol, which a getter
 * still reaches when the request is wrapped in a `Proxy` or used as a prototype (a private field
 * would throw there), and which a copy (`{ ...request }`) leaves behind.
 */
const STATE = Symbol('switchyard.request.state');

function stateOf(request: object): State | undefined {
  return (request as { [STATE]?: State })[STATE];
}

/**
 * A request handed to a transport whose `signal` is created only when a transport reads it (fetch
 * does); the undici transport cancels through the `Abortable` found under `ABORTABLE` instead, so
 * most requests cost no AbortController. `signal` is an own enumerable getter, so a wrapping
 * transport's copy (`{ ...request, headers }`) keeps it; one that gives the request its own signal
 * (assigning it, or defining it on an object derived from the request) is left with that one, and
 * undici then uses it too.
 */
export class LazySignalRequest<Body extends TransportRequest['body']> implements TransportRequest {
  declare signal: AbortSignal;

  constructor(
    public url: URL,
    public method: string,
    public headers: Record<string, string>,
    public body: Body,
    source: SignalSource,
    abortable: Abortable,
  ) {
    // Configurable, so a Proxy's traps may report or hide it as they like without breaking invariants.
    Object.defineProperty(this, STATE, { value: { source, abortable } satisfies State, configurable: true });
    Object.defineProperty(this, 'signal', SIGNAL);
  }

  /**
   * On the prototype, so a copy (`{ ...request, signal }`) does not carry it; and only while
   * `signal` is still this class's accessor: a wrapper that gave the request a signal of its own
   * (assigned, or an own property of an object derived from it) is obeyed. A Proxy whose `get` trap
   * answers another signal cannot be told apart: such a wrapper should assign `request.signal`.
   */
  get [ABORTABLE](): Abortable | undefined {
    const abortable = stateOf(this)?.abortable;
    return abortable !== undefined && signalIsLazy(this) ? abortable : undefined;
  }
}

/** Whether the `signal` the request resolves to is the lazy accessor (not one a wrapper put in front). */
function signalIsLazy(request: object): boolean {
  for (let target: object | null = request; target !== null; target = Reflect.getPrototypeOf(target)) {
    const descriptor = Reflect.getOwnPropertyDescriptor(target, 'signal');
    if (descriptor !== undefined) return descriptor.get === SIGNAL.get;
  }
  return false;
}

const SIGNAL: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: object): AbortSignal | undefined {
    return stateOf(this)?.source.signal;
  },
  // Assigning a signal replaces the accessor, which also ends the hand-over under ABORTABLE.
  set(this: object, signal: AbortSignal) {
    Object.defineProperty(this, 'signal', { value: signal, writable: true, enumerable: true, configurable: true });
  },
};
