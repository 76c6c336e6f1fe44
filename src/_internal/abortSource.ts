import type { Abortable } from './abortable.js';

/**
 * An abort source that creates its `AbortSignal` only when someone reads `signal`. Undici takes
 * any `Abortable` as a request's `signal`, so the proxy's requests are cancelled through the
 * source itself and most never pay for an AbortController. (An executor `Attempt` is an
 * `Abortable` of its own, kept apart so that the core bundle does not carry this class.)
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
    this.#listeners = this.#listeners?.filter((added) => added !== listener);
  }

  /** Aborts once, with `reason` (every caller has one); later calls do nothing. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.#controller?.abort(reason);
    const listeners = this.#listeners ?? [];
    this.#listeners = undefined;
    for (const listener of listeners) {
      try {
        listener();
      } catch {
        // As with an AbortSignal's listeners: one that throws stops neither the others nor the abort.
      }
    }
  }
}
