/**
 * Calls an observer hook with its state; what the hook throws is dropped.
 *
 * Observers (the `on: {…}` hooks, change listeners) must never change a call's result or stop
 * the work that reports to them, so every place that calls one goes through here.
 */
export function callHook<S>(hook: ((state: S) => void) | undefined, state: S): void {
  if (hook === undefined) return;
  try {
    hook(state);
  } catch {
    // Observation only.
  }
}

/**
 * Calls every listener with the same state, in order; one that throws does not keep the state
 * from the ones after it. A Set (or other live collection) is copied first, so a listener may
 * unsubscribe itself; an array is taken as the caller's fixed list.
 */
export function callEach<S>(listeners: Iterable<(state: S) => void>, state: S): void {
  const list = Array.isArray(listeners) ? (listeners as ReadonlyArray<(state: S) => void>) : Array.from(listeners);
  for (const listener of list) callHook(listener, state);
}
