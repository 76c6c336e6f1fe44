import type { Abortable } from './abortable.js';

/**
 * An abort source that creates its `AbortSignal` only when someone reads `signal`. Undici takes
 * any `Abortable` as a request's `signal`, so a proxy's request and an attempt's worker call
 * (`Attempt` extends this) are cancelled through the source itself and most never pay for an
 * AbortController.
 */
export class AbortSource implements Abortable {
  aborted = false;
  reason: unknown = undefined;
  #controller: AbortController | undefined = undefined;
  #listeners: (() => void)[] | undefined = undefined;

  /** An `AbortSignal` that aborts with this source, created on first read. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.#listeners;
    if (listeners === undefined) return;
    const at = listeners.indexOf(listener);
    if (at !== -1) listeners.splice(at, 1);
  }

  /** Aborts once; later calls do nothing. */
  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    // As AbortController does: no reason is an AbortError.
    const why = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    this.reason = why;
    this.#controller?.abort(why);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners === undefined) return;
    for (const listener of listeners) {
      try {
        listener();
      } catch {
        // As with an AbortSignal's listeners: one that throws stops neither the others nor the abort.
      }
    }
  }
}
