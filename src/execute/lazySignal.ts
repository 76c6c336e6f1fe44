/** Where a lazily read signal comes from: an attempt, or the call itself for its router. */
export interface SignalSource {
  readonly signal: AbortSignal;
}

/**
 * Gives `target` (a worker's `call`, a router's input) its `signal` as an own enumerable getter,
 * so `{ ...call }` keeps it, read lazily, so user code that never looks at it costs no
 * AbortController. One shared getter per kind of object, no closure per object (an object literal
 * with a getter would be both a closure and a slow dictionary-mode object). Define it after the
 * other fields: V8 keeps that shape fast.
 */
export function lazySignal(sourceOf: (target: object) => SignalSource): PropertyDescriptor {
  return {
    enumerable: true,
    configurable: true,
    get(this: object) {
      return sourceOf(this).signal;
    },
  };
}
