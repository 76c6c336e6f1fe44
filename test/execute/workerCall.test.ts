import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fanOutTo, type WorkerCall } from '../../src/index.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("a worker's call", () => {
  it('keeps its signal when copied with a spread, and the copy sees the attempt time out', async () => {
    const copies: WorkerCall<undefined, undefined>[] = [];
    const promise = fanOutTo(
      [{ id: 'slow' }],
      (_instance, call) => {
        copies.push({ ...call });
        return new Promise<never>(() => {});
      },
      { timeoutMs: 100, deadlineMs: 1_000, retry: false },
    );
    promise.catch(() => {});
    await vi.advanceTimersByTimeAsync(100);
    const [copy] = copies;
    expect(copy?.signal).toBeInstanceOf(AbortSignal);
    expect(copy?.signal.aborted).toBe(true);
    expect((copy?.signal.reason as Error).name).toBe('TimeoutError');
    expect(await promise).toMatchObject({ errors: [{ reason: 'timeout' }] });
  });

  it('carries the call data and attempt number as plain fields', async () => {
    const seen: Array<Omit<WorkerCall<{ q: string }, { user: string }>, 'signal'>> = [];
    await fanOutTo(
      [{ id: 'a' }],
      async (_instance, call) => {
        const { signal: _signal, ...fields } = call;
        seen.push(fields);
        return 1;
      },
      { data: { q: 'x' }, context: { user: 'u' }, operation: 'search' },
    );
    expect(seen).toEqual([{ data: { q: 'x' }, context: { user: 'u' }, operation: 'search', attempt: 1, deadline: expect.any(Number), hedge: false }]);
  });
});
