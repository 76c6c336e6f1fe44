import type { TimerQueue } from './timerQueue.js';

/**
 * A node of one call's abort tree. Children and listeners are plain references, not EventTarget
 * listeners, so a fan-out to hundreds of instances adds no listener to any signal; the
 * AbortSignal itself is created only when someone reads `signal` (a worker that never looks at it
 * costs no AbortController). A class, so the hot path allocates no closures per attempt.
 */
export class Scope {
  aborted = false;
  reason: unknown = undefined;
  /** The one callback of a leaf scope (an attempt): cheaper than `onAbort`'s set on the hot path. */
  handler: (() => void) | undefined = undefined;
  private controller: AbortController | undefined;
  private children: Set<Scope> | undefined;
  private listeners: Set<() => void> | undefined;
  private readonly parent: Scope | undefined;

  constructor(parent?: Scope) {
    this.parent = parent;
    if (parent === undefined) return;
    if (parent.aborted) this.abort(parent.reason);
    else (parent.children ??= new Set()).add(this);
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Runs `callback` when the scope aborts (at once if it has); returns an unregister function. */
  onAbort(callback: () => void): () => void {
    if (this.aborted) {
      callback();
      return noop;
    }
    (this.listeners ??= new Set()).add(callback);
    return () => this.listeners?.delete(callback);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.dispose();
    this.controller?.abort(reason);
    const { children, listeners } = this;
    this.children = undefined;
    this.listeners = undefined;
    if (children !== undefined) for (const child of children) child.abort(reason);
    if (listeners !== undefined) for (const listener of listeners) listener();
    const { handler } = this;
    this.handler = undefined;
    handler?.();
  }

  /** Unlinks this scope from its parent (its parent's abort no longer reaches it). */
  dispose(): void {
    this.parent?.children?.delete(this);
  }
}

const noop = () => {};

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
