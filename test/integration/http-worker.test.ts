import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defaultClassify } from '../../src/execute/classify.js';
import { createFanout, firstSuccess, mergeAll, staticRouter, type Instance, type Worker, type WorkerCall } from '../../src/index.js';
import {
  fetchTransport,
  httpWorker as createHttpWorker,
  type HttpStatusError,
  type HttpWorkerOptions,
  type Transport,
  type UpstreamResponseError,
} from '../../src/http/index.js';
import { undiciTransport } from '../../src/http/undici.js';
import { expectNoLeaks, listen, recorder, refusedPort, snapshotResources, type Recorded, type Running } from '../http/_servers.js';

type Reply = { status: number; headers?: Record<string, string>; body?: string };
let upstream: Running & { requests: Recorded[] };
let reply: Reply;
let instance: Instance;
let before: Map<string, number>;

beforeEach(async () => {
  before = snapshotResources();
  reply = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
  upstream = await recorder((_req, res) => {
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  });
  instance = { id: 'eu-1', url: `${upstream.origin}/base` };
});

afterEach(async () => {
  await upstream.close();
  await expectNoLeaks(before);
});

function call<Data>(data: Data, overrides: Partial<WorkerCall<Data, unknown>> = {}): WorkerCall<Data, unknown> {
  return {
    data,
    context: {},
    operation: 'test',
    signal: new AbortController().signal,
    attempt: 1,
    deadline: Date.now() + 5_000,
    hedge: false,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the worker to throw');
}

const classify = (error: unknown) => defaultClassify({ error, instance, timedOut: false });

// Every behaviour holds on both transports: undici (what Node users get) and fetch (elsewhere).
describe.each([
  ['undici', () => undiciTransport()],
  ['fetch', () => fetchTransport()],
] as const)('over the %s transport', (_name, makeTransport) => {
  let transport: Transport;
  beforeEach(() => {
    transport = makeTransport();
  });
  afterEach(async () => {
    await transport.close();
  });
  const httpWorker = <T = unknown, Data = unknown, Ctx = unknown>(options: HttpWorkerOptions<T, Data, Ctx>) =>
    createHttpWorker<T, Data, Ctx>({ transport, ...options });

  describe('successful answers', () => {
    it('returns the parsed JSON of a 2xx answer from the path under the instance base URL', async () => {
      const worker = httpWorker({ path: '/users/1' });
      expect(await worker(instance, call(undefined))).toEqual({ ok: true });
      expect(upstream.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /base/users/1']);
    });

    it('returns the schema output when a zod schema validates the answer', async () => {
      reply.body = '{"id":"7","joined":"2024-01-02"}';
      const worker = httpWorker({
        path: '/users/7',
        schema: z.object({ id: z.coerce.number(), joined: z.string().transform((s) => s.slice(0, 4)) }),
      });
      expect(await worker(instance, call(undefined))).toEqual({ id: 7, joined: '2024' });
    });

    it('sends call.data as a JSON body when json is true', async () => {
      const worker = httpWorker({ path: '/search', json: true });
      await worker(instance, call({ q: 'acme', limit: 2 }));
      const seen = upstream.requests[0]!;
      expect([seen.method, seen.headers['content-type'], JSON.parse(seen.body)]).toEqual([
        'POST',
        'application/json',
        { q: 'acme', limit: 2 },
      ]);
    });

    it('builds the path from the call when path is a function', async () => {
      const worker = httpWorker<unknown, { id: string }>({ path: (c) => `/users/${encodeURIComponent(c.data.id)}?v=2` });
      await worker(instance, call({ id: 'Zoë Ng' }));
      expect(upstream.requests[0]!.url).toBe('/base/users/Zo%C3%AB%20Ng?v=2');
    });
  });

  describe('headers', () => {
    it('sends the headers the callback computes for the instance and the call', async () => {
      const worker = httpWorker<unknown, { tenant: string }>({
        path: '/x',
        headers: async (target, c) => ({ authorization: `Bearer jwt-for-${target.id}`, 'x-policy-hint': `tenant=${c.data.tenant}` }),
      });
      await worker(instance, call({ tenant: 'acme' }));
      const headers = upstream.requests[0]!.headers;
      expect([headers.authorization, headers['x-policy-hint']]).toEqual(['Bearer jwt-for-eu-1', 'tenant=acme']);
    });

    it('sends the milliseconds left until the deadline', async () => {
      const clock = { now: () => 1_000_000, setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout };
      const worker = httpWorker({ path: '/x', clock: clock as never });
      await worker(instance, call(undefined, { deadline: 1_002_500 }));
      expect(upstream.requests[0]!.headers['x-request-deadline-ms']).toBe('2500');
    });

    it('refuses a header value with CRLF from the callback without sending anything or quoting the value', async () => {
      const worker = httpWorker({ path: '/x', headers: () => ({ authorization: 'secret\r\nInjected: yes' }) });
      const error = await failure(worker(instance, call(undefined)));
      expect(error.message).not.toContain('secret');
      expect(upstream.requests).toEqual([]);
    });
  });

  describe('status classes', () => {
    const cases: [number, string, boolean][] = [
      [401, 'error', false],
      [403, 'unauthorized', false],
      [404, 'not-found', false],
      [400, 'error', false],
      [408, 'error', true],
      [500, 'error', true],
      [503, 'error', true],
    ];
    for (const [status, category, retryable] of cases) {
      it(`throws HttpStatusError ${status}, classified ${category}${category === 'error' ? (retryable ? ' and retryable' : ' and not retryable') : ''}`, async () => {
        reply = { status, body: `{"secret":"token-${status}"}` };
        const error = (await failure(httpWorker({ path: '/x' })(instance, call(undefined)))) as HttpStatusError;
        expect([error.name, error.status, error.retryable]).toEqual(['HttpStatusError', status, status === 408 || status >= 500]);
        const classified = classify(error);
        expect(classified.status).toBe(category);
        if (category === 'error') expect(classified.retryable).toBe(retryable);
      });
    }

    it('carries Retry-After seconds of a 429 as retryAfterMs, retryable', async () => {
      reply = { status: 429, headers: { 'retry-after': '3' } };
      const error = (await failure(httpWorker({ path: '/x' })(instance, call(undefined)))) as HttpStatusError;
      expect(classify(error)).toEqual({ status: 'error', retryable: true, retryAfterMs: 3_000 });
    });

    it('carries a Retry-After HTTP-date as the milliseconds until then', async () => {
      reply = { status: 503, headers: { 'retry-after': 'Wed, 21 Oct 2015 07:28:05 GMT' } };
      const clock = { now: () => Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'), setTimeout, clearTimeout };
      const error = (await failure(httpWorker({ path: '/x', clock: clock as never })(instance, call(undefined)))) as HttpStatusError;
      expect(error.retryAfterMs).toBe(5_000);
    });

    it('keeps the upstream body and URL off the message and out of serialisation', async () => {
      reply = { status: 500, body: 'password=hunter2' };
      const error = (await failure(httpWorker({ path: '/x' })(instance, call(undefined)))) as HttpStatusError;
      expect(error.message).toBe('Upstream answered 500');
      expect(JSON.stringify(error)).not.toContain('hunter2');
      expect(JSON.stringify(error)).not.toContain('127.0.0.1');
      expect(error.detail).toEqual({ url: `${upstream.origin}/base/x`, body: 'password=hunter2' });
    });

    it('does not follow a redirect that would carry credentials elsewhere', async () => {
      const elsewhere = await recorder();
      try {
        reply = { status: 302, headers: { location: `${elsewhere.origin}/steal` } };
        const worker = httpWorker({ path: '/x', headers: { authorization: 'Bearer secret' } });
        const error = (await failure(worker(instance, call(undefined)))) as HttpStatusError;
        expect([error.status, classify(error).retryable]).toEqual([302, false]);
        expect(elsewhere.requests).toEqual([]);
      } finally {
        await elsewhere.close();
      }
    });
  });

  describe('unusable answers', () => {
    it('throws a non-retryable UpstreamResponseError with a redacted message for malformed JSON', async () => {
      reply = { status: 200, body: '{"secret": "hunter2"' };
      const error = (await failure(httpWorker({ path: '/x' })(instance, call(undefined)))) as UpstreamResponseError;
      expect([error.name, error.problem, error.message.includes('hunter2')]).toEqual(['UpstreamResponseError', 'malformed-json', false]);
      expect(classify(error)).toEqual({ status: 'error', retryable: false });
    });

    it('throws a non-retryable UpstreamResponseError when the answer fails the zod schema', async () => {
      reply = { status: 200, body: '{"id":"not-a-number"}' };
      const worker = httpWorker({ path: '/x', schema: z.object({ id: z.number() }) });
      const error = (await failure(worker(instance, call(undefined)))) as UpstreamResponseError;
      expect([error.name, error.problem]).toEqual(['UpstreamResponseError', 'schema-mismatch']);
      expect(classify(error)).toEqual({ status: 'error', retryable: false });
    });

    it('throws too-large when the answer exceeds maxResponseBytes', async () => {
      reply = { status: 200, body: JSON.stringify({ data: 'x'.repeat(2_000) }) };
      const error = (await failure(httpWorker({ path: '/x', maxResponseBytes: 1_000 })(instance, call(undefined)))) as UpstreamResponseError;
      expect(error.problem).toBe('too-large');
    });
  });

  describe('paths, network and abort', () => {
    for (const path of ['//evil.example/x', 'http://evil.example/x', '/../admin', '/%2e%2e/admin', '/a%2fb', '/\\evil.example']) {
      it(`refuses the path ${JSON.stringify(path)} without sending a request`, async () => {
        const error = await failure(httpWorker({ path: () => path })(instance, call(undefined)));
        expect([(error as { code?: string }).code, classify(error).retryable]).toEqual(['INVALID_INPUT', false]);
        expect(upstream.requests).toEqual([]);
      });

      it(`refuses the static path ${JSON.stringify(path)} when the worker is created`, () => {
        expect(() => httpWorker({ path })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
      });
    }

    it('rethrows a refused connection as a retryable UpstreamNetworkError without the address in its message', async () => {
      const port = await refusedPort();
      const error = await failure(httpWorker({ path: '/x' })({ id: 'down', url: `http://127.0.0.1:${port}` }, call(undefined)));
      expect([error.name, error.message.includes(String(port)), error.cause !== undefined]).toEqual(['UpstreamNetworkError', false, true]);
      expect(classify(error).retryable).toBe(true);
    });

    /** An upstream that never answers: `arrival` settles when a request is in, `closed` when its connection is gone. */
    async function hangingUpstream(): Promise<{ origin: string; arrival: Promise<void>; closed: Promise<void>; close(): Promise<void> }> {
      let arrived!: () => void;
      let gone!: () => void;
      const arrival = new Promise<void>((resolve) => (arrived = resolve));
      const closed = new Promise<void>((resolve) => (gone = resolve));
      // The client may reset the connection, so the socket can emit an error before it closes.
      const server = await listen((req) => {
        req.socket.once('close', () => gone());
        arrived();
      });
      return { origin: server.origin, arrival, closed, close: () => server.close() };
    }

    it('aborts the upstream request when the call signal aborts and rejects with the abort reason', async () => {
      const hanging = await hangingUpstream();
      try {
        const controller = new AbortController();
        const pending = failure(httpWorker({ path: '/x' })({ id: 'slow', url: hanging.origin }, call(undefined, { signal: controller.signal })));
        await hanging.arrival;
        const reason = new Error('caller left');
        controller.abort(reason);
        expect(await pending).toBe(reason);
        await hanging.closed;
      } finally {
        await hanging.close();
      }
    });

    /** Runs `worker` against an upstream that never answers, with a 50 ms attempt timeout: the attempt times out and the upstream's connection closes. */
    async function timesOutAndCloses(worker: Worker<unknown>): Promise<void> {
      const hanging = await hangingUpstream();
      try {
        const fanout = createFanout({ router: staticRouter([{ id: 'slow', url: hanging.origin }]), timeoutMs: 50, retry: false });
        const outcomes = await fanout.run({
          operation: 'slow',
          data: undefined,
          context: undefined,
          worker,
          strategy: { combine: (responses) => responses.errors.map((failure) => failure.reason) },
        });
        expect(outcomes).toEqual(['timeout']);
        await hanging.closed;
      } finally {
        await hanging.close();
      }
    }

    it('cancels the request and closes its connection when the attempt times out in a fan-out', async () => {
      await timesOutAndCloses(httpWorker({ path: '/x' }));
    });

    it('cancels a body still arriving when the caller aborts the fan-out', async () => {
      let upstreamClosed!: Promise<unknown>;
      let headersSent!: () => void;
      const streaming = new Promise<void>((resolve) => (headersSent = resolve));
      const hanging = await listen((req, res) => {
        // The client resets the connection, so the socket may emit an error before it closes.
        upstreamClosed = new Promise((resolve) => req.socket.once('close', resolve));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('[1,', () => headersSent());
      });
      try {
        const fanout = createFanout({ router: staticRouter([{ id: 'slow', url: hanging.origin }]), retry: false });
        const controller = new AbortController();
        const pending = failure(
          fanout.run({ operation: 'slow', data: undefined, context: undefined, worker: httpWorker({ path: '/x' }), strategy: mergeAll(), signal: controller.signal }),
        );
        await streaming;
        controller.abort(new Error('caller left'));
        expect((await pending).name).toBe('SwitchyardError');
        await upstreamClosed;
      } finally {
        await hanging.close();
      }
    });

    it('keeps the signal of a transport that wraps this one and replaces the request signal', async () => {
      const wrappers: Array<(signal: AbortSignal) => Transport> = [
        // Passes on a copy with its own signal.
        (signal) => ({ request: (req) => transport.request({ ...req, signal }), close: async () => {} }),
        // Replaces the signal on the request it was given.
        (signal) => ({
          request: (req) => {
            req.signal = signal;
            return transport.request(req);
          },
          close: async () => {},
        }),
        // Passes on an object derived from the request, with its own signal.
        (signal) => ({
          request: (req) => transport.request(Object.create(req, { signal: { value: signal, enumerable: true } }) as typeof req),
          close: async () => {},
        }),
      ];
      for (const wrap of wrappers) {
        const hanging = await hangingUpstream();
        try {
          const own = new AbortController();
          const fanout = createFanout({ router: staticRouter([{ id: 'slow', url: hanging.origin }]), retry: false });
          const pending = fanout.run({
            operation: 'wrapped',
            data: undefined,
            context: undefined,
            worker: createHttpWorker({ path: '/x', transport: wrap(own.signal) }),
            strategy: { combine: (responses) => responses.errors.map((failure) => failure.reason) },
          });
          await hanging.arrival;
          own.abort(new Error('the wrapper gave up'));
          expect(await pending).toEqual(['failed']);
          await hanging.closed;
        } finally {
          await hanging.close();
        }
      }
    });

    it('cancels through a transport that wraps the request in a Proxy or derives one from it', async () => {
      const wrappers: Array<Transport> = [
        // Instrumentation often wraps objects in a Proxy; getters then run with the proxy as `this`.
        { request: (req) => transport.request(new Proxy(req, {})), close: async () => {} },
        // An object that inherits from the request, with one field of its own.
        { request: (req) => transport.request(Object.assign(Object.create(req) as typeof req, { method: req.method })), close: async () => {} },
      ];
      for (const wrapping of wrappers) await timesOutAndCloses(createHttpWorker({ path: '/x', transport: wrapping }));
    });

    it('cancels the losing request when another instance answers first', async () => {
      const hanging = await hangingUpstream();
      try {
        const fanout = createFanout({
          router: staticRouter([
            { id: 'slow', url: hanging.origin },
            { id: 'fast', url: upstream.origin },
          ]),
          retry: false,
        });
        const worker = httpWorker({ path: '/x' });
        const slowFirst: typeof worker = async (target, workerCall) => {
          if (target.id === 'fast') await hanging.arrival;
          return worker(target, workerCall);
        };
        const value = await fanout.run({ operation: 'race', data: undefined, context: undefined, worker: slowFirst, strategy: firstSuccess() });
        expect(value).toEqual({ ok: true });
        await hanging.closed;
      } finally {
        await hanging.close();
      }
    });
  });
});
