import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { createProxy, type FetchLike } from '../../src/http/index.js';

/** A fetch that never answers until its signal aborts, as a hung upstream would. */
const hangingFetch: FetchLike = (_input, init) =>
  new Promise((_resolve, reject) => {
    init?.signal?.addEventListener('abort', () => reject(init.signal!.reason), { once: true });
  });

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

it('answers 504 once the default 30 s timeout passes and leaves no timer behind', async () => {
  const pending = createProxy({ target: 'http://a.internal', fetch: hangingFetch }).handle(new Request('http://front/x'));
  await vi.advanceTimersByTimeAsync(29_999);
  expect(vi.getTimerCount()).toBe(1);
  await vi.advanceTimersByTimeAsync(1);
  expect((await pending).status).toBe(504);
  expect(vi.getTimerCount()).toBe(0);
});

it('answers 499 and clears its timer when the client aborts first', async () => {
  const client = new AbortController();
  const pending = createProxy({ target: 'http://a.internal', fetch: hangingFetch, timeoutMs: 1_000 }).handle(
    new Request('http://front/x'),
    { signal: client.signal },
  );
  client.abort();
  expect((await pending).status).toBe(499);
  expect(vi.getTimerCount()).toBe(0);
});

it('clears its timer as soon as response headers arrive, while the body still streams', async () => {
  const body = new ReadableStream<Uint8Array>({ start() {} });
  const proxy = createProxy({ target: 'http://a.internal', fetch: async () => new Response(body), timeoutMs: 1_000 });
  const response = await proxy.handle(new Request('http://front/x'));
  expect([response.status, vi.getTimerCount()]).toEqual([200, 0]);
  await response.body?.cancel();
});
