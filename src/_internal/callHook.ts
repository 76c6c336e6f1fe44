/** Calls an observer hook with its state; what the hook throws is dropped (observers never break calls). */
export function callHook<S>(hook: ((state: S) => void) | undefined, state: S): void {
  if (hook === undefined) return;
  try {
    hook(state);
  } catch {
    // Observation only.
  }
}
