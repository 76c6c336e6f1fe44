import type { TimerQueue } from './timerQueue.js';

/**
 * A node of one call's abort tree. Children register plain callbacks instead of EventTarget
 * listeners, so a fan-out to hundreds of instances adds no listener to any signal, and the
 * AbortSignal itself is created only when someone reads `signal` (a worker that never looks at
 * it costs no AbortController).
 */
export interface Scope {
  readonly signal: AbortSignal;
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Runs `callback` when the scope aborts (at once if it has); returns an unregister function. */
  onAbort(callback: () => void): () => void;
  abort(reason: unknown): void;
  /** Unlinks this scope from its parent. */
  dispose(): void;
}

export function createScope(parent?: Scope): Scope {
  let controller: AbortController | undefined;
  let callbacks: Set<() => void> | undefined;
  let aborted = false;
  let reason: unknown;
  const scope: Scope = {
    get signal() {
      if (controller === undefined) {
        controller = new AbortController();
        if (aborted) controller.abort(reason);
      }
      return controller.signal;
    },
    get aborted() {
      return aborted;
    },
    get reason() {
      return reason;
    },
    onAbort(callback) {
      if (aborted) {
        callback();
        return () => {};
      }
      (callbacks ??= new Set()).add(callback);
      return () => callbacks?.delete(callback);
    },
    abort(why) {
      if (aborted) return;
      aborted = true;
      reason = why;
      unlink();
      controller?.abort(why);
      if (callbacks !== undefined) {
        const pending = callbacks;
        callbacks = undefined;
        for (const callback of pending) callback();
      }
    },
    dispose: () => unlink(),
  };
  let unlink: () => void = () => {};
  if (parent !== undefined) unlink = parent.onAbort(() => scope.abort(parent.reason));
  return scope;
}

/** Resolves after `ms` (true), or at once (false) when `scope` aborts; leaves no timer behind. */
export function sleep(ms: number, scope: Scope, timers: TimerQueue): Promise<boolean> {
  if (scope.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const cancel = timers.after(ms, () => {
      dispose();
      resolve(true);
    });
    const dispose = scope.onAbort(() => {
      cancel();
      resolve(false);
    });
  });
}

/** Abort reasons are shared constants: they carry no per-call data, and building one costs a stack trace. */
export const REASONS = {
  callerAborted: new DOMException('The caller aborted', 'AbortError'),
  finishedEarly: new DOMException('The call finished early', 'AbortError'),
  failed: new DOMException('The call failed', 'AbortError'),
  deadline: new DOMException('The deadline passed', 'TimeoutError'),
  attemptTimeout: new DOMException('The attempt timed out', 'TimeoutError'),
  hedgeLost: new DOMException('Another attempt answered first', 'AbortError'),
  noInstances: new DOMException('No instances', 'AbortError'),
};
