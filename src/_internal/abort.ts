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
