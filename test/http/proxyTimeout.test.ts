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

it("starts counting when the upload ends, not while the client's body is still arriving", async () => {
  /** Reads the whole body, as an upstream would, then never answers. */
  const readingFetch: FetchLike = async (input, init) => {
    await new Response(init?.body as ReadableStream<Uint8Array>).arrayBuffer();
    return hangingFetch(input, init);
  };
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull: (controller) =>
      new Promise<void>((resolve) => {
        setTimeout(() => {
          if (sent++ === 10) controller.close();
          else controller.enqueue(new Uint8Array([sent]));
          resolve();
        }, 300);
      }),
  });
  let status = 0;
  const pending = createProxy({ target: 'http://a.internal', fetch: readingFetch, timeoutMs: 1_000 })
    .handle(new Request('http://front/upload', { method: 'POST', body, duplex: 'half' } as RequestInit))
    .then((response) => (status = response.status));
  await vi.advanceTimersByTimeAsync(11 * 300);
  expect(status).toBe(0);
  await vi.advanceTimersByTimeAsync(999);
  expect(status).toBe(0);
  await vi.advanceTimersByTimeAsync(1);
  await pending;
  expect([status, vi.getTimerCount()]).toEqual([504, 0]);
});
