import { getEventListeners } from 'node:events';
import { vi } from 'vitest';
import type { Instance, Worker, WorkerCall } from '../../src/index.js';

export const cloud: Instance = { id: 'cloud', url: 'http://cloud.internal' };
export const acme: Instance = { id: 'enterprise-acme', url: 'http://acme.internal' };
export const conf: Instance = { id: 'enterprise-conf', url: 'http://conf.internal' };
export const seedInstances = [cloud, acme, conf];

export type Behaviour<T> =
  | { kind: 'ok'; data: T; afterMs?: number }
  | { kind: 'status'; status: number; afterMs?: number; retryAfterMs?: number }
  | { kind: 'fail'; message: string; afterMs?: number }
  | { kind: 'hang' }
  | { kind: 'ignore-signal' };

export const ok = <T>(data: T, afterMs = 0): Behaviour<T> => ({ kind: 'ok', data, afterMs });
export const status = (code: number, afterMs = 0, retryAfterMs?: number): Behaviour<never> =>
  retryAfterMs === undefined ? { kind: 'status', status: code, afterMs } : { kind: 'status', status: code, afterMs, retryAfterMs };
export const fail = (message = 'db down: password=hunter2 at http://10.0.0.1/x', afterMs = 0): Behaviour<never> => ({ kind: 'fail', message, afterMs });
export const hang: Behaviour<never> = { kind: 'hang' };
export const ignoreSignal: Behaviour<never> = { kind: 'ignore-signal' };

/** Sleeps on the (possibly faked) global timers and rejects when the signal aborts. */
export function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class StatusError extends Error {
  constructor(readonly status: number, readonly retryAfterMs?: number) {
    super(`upstream said ${status} with secret body`);
  }
}

/**
 * A scripted worker: each instance follows its behaviours in order (the last repeats). Records
 * every call with its signal so tests can see what the worker observed.
 */
export function scripted<T>(script: Record<string, Behaviour<T> | Behaviour<T>[]>) {
  const calls: { instance: string; call: WorkerCall<unknown, unknown> }[] = [];
  const worker: Worker<T, any, any> = async (instance, call) => {
    calls.push({ instance: instance.id, call });
    const list = ([] as Behaviour<T>[]).concat(script[instance.id] ?? script['*'] ?? []);
    const count = calls.filter((c) => c.instance === instance.id).length;
    const behaviour = list[Math.min(count, list.length) - 1];
    if (behaviour === undefined) throw new Error(`no behaviour for ${instance.id}`);
    switch (behaviour.kind) {
      case 'ok':
        if (behaviour.afterMs) await wait(behaviour.afterMs, call.signal);
        return behaviour.data;
      case 'status':
        if (behaviour.afterMs) await wait(behaviour.afterMs, call.signal);
        throw new StatusError(behaviour.status, behaviour.retryAfterMs);
      case 'fail':
        if (behaviour.afterMs) await wait(behaviour.afterMs, call.signal);
        throw new Error(behaviour.message);
      case 'hang':
        return new Promise<T>((_, reject) => call.signal.addEventListener('abort', () => reject(call.signal.reason), { once: true }));
      case 'ignore-signal':
        return new Promise<T>(() => {});
    }
  };
  const callsOf = (id: string) => calls.filter((c) => c.instance === id);
  return { worker, calls, callsOf };
}

/** Fails the test if a timer or an abort listener of a call is still around. */
export function expectNothingLeft(signals: AbortSignal[] = []): void {
  const timers = vi.getTimerCount();
  if (timers !== 0) throw new Error(`${timers} timer(s) left behind`);
  for (const signal of signals) {
    const listeners = getEventListeners(signal, 'abort').length;
    if (listeners !== 0) throw new Error(`${listeners} abort listener(s) left on a signal`);
  }
}
