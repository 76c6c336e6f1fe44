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

/**
 * What undici accepts as an EventEmitter-like `signal`. An attempt is one, so the undici transport
 * can cancel its request with no AbortController per request; the attempt's `AbortSignal` is
 * still created for whoever reads `call.signal`, and both abort together.
 */
export interface Abortable {
  readonly aborted: boolean;
  readonly reason: unknown;
  on(event: 'abort', listener: () => void): unknown;
  once(event: 'abort', listener: () => void): unknown;
  removeListener(event: 'abort', listener: () => void): unknown;
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
