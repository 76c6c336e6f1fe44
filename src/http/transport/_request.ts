import { ABORTABLE, type Abortable } from '../../_internal/abortable.js';
import type { TransportRequest } from './types.js';

/** Whatever gives a request its signal when it is first read: an attempt, a proxy's abort source. */
export interface SignalSource {
  readonly signal: AbortSignal;
}

interface State {
  readonly source: SignalSource;
  abortable: Abortable | undefined;
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
 * transport's copy (`{ ...request, headers }`) keeps it; one that assigns its own signal is left
 * with that one, and undici then uses it too.
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
    Object.defineProperty(this, STATE, { value: { source, abortable } satisfies State });
    Object.defineProperty(this, 'signal', SIGNAL);
  }

  /** On the prototype, so a copy (`{ ...request, signal }`) does not carry it. */
  get [ABORTABLE](): Abortable | undefined {
    return stateOf(this)?.abortable;
  }
}

const SIGNAL: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: object): AbortSignal | undefined {
    return stateOf(this)?.source.signal;
  },
  set(this: object, signal: AbortSignal) {
    const state = stateOf(this);
    if (state !== undefined) state.abortable = undefined;
    Object.defineProperty(this, 'signal', { value: signal, writable: true, enumerable: true, configurable: true });
  },
};
