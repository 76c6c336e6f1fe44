/**
 * The part of an `AbortSignal` that undici uses of a request's `signal`. An attempt is one, so the
 * undici transport can cancel its request with no AbortController per request; the attempt's
 * `AbortSignal` is still created for whoever reads `call.signal`, and both abort together.
 */
export interface Abortable {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * Where a worker's call and a transport request carry their `Abortable`. A registered symbol: the
 * executor and `switchyard/http` may come from separate bundles of the package.
 */
export const ABORTABLE = Symbol.for('switchyard.abortable.v1');

/** The `Abortable` of a call or request, if it carries one. */
export function abortableOf(target: object): Abortable | undefined {
  return (target as { [ABORTABLE]?: Abortable })[ABORTABLE];
}
