/** Where a lazily read signal comes from: an attempt, or the call itself for its router. */
export interface SignalSource {
  readonly signal: AbortSignal;
}

/**
 * The base of the objects the executor hands to user code (a worker's `call`, a router's input):
 * `signal` is an own enumerable getter, so `{ ...call }` keeps it, and it is read lazily, so user
 * code that never looks at it costs no AbortController. A class with one shared getter: no
 * closure per object (an object literal with a getter would be both slower and a closure).
 */
export class WithLazySignal {
  readonly #source: SignalSource;
  declare readonly signal: AbortSignal;

  constructor(source: SignalSource) {
    this.#source = source;
    Object.defineProperty(this, 'signal', SIGNAL);
  }

  static sourceOf(target: WithLazySignal): SignalSource {
    return target.#source;
  }
}

const SIGNAL: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: WithLazySignal) {
    return WithLazySignal.sourceOf(this).signal;
  },
};
