import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFanout, firstSuccess, staticRouter, type Instance } from '../../src/index.js';
import { httpWorker } from '../../src/http/index.js';
import { expectNoLeaks, recorder, refusedPort, snapshotResources, type Recorded, type Running } from '../http/_servers.js';

let upstream: Running & { requests: Recorded[] };
/** Status to answer per request number (1-based); 200 with `{"ok":true}` otherwise. */
let statuses: Record<number, number>;
let delayMs: number;
let before: Map<string, number>;
let instance: Instance;

beforeEach(async () => {
  before = snapshotResources();
  statuses = {};
  delayMs = 0;
  upstream = await recorder((req, res) => {
    const status = statuses[upstream.requests.length] ?? 200;
    const answer = () => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? '{"ok":true}' : '{"error":"secret"}');
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
  instance = { id: 'payments', url: upstream.origin };
});

afterEach(async () => {
  await upstream.close();
  await expectNoLeaks(before);
});

const fanoutOf = (options: { hedge?: { delayMs: number } } = {}) =>
  createFanout({ router: staticRouter([instance]), retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, budget: false, ...options });

describe('httpWorker and idempotency', () => {
  it('sends a POST that answers 503 exactly once', async () => {
    statuses = { 1: 503 };
    const charge = httpWorker({ path: '/charge', json: true });
    const responses = await fanoutOf().collect({ operation: 'charge', data: { amount: 10 }, context: {}, worker: charge });
    expect(upstream.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /charge']);
    expect(responses.errors).toHaveLength(1);
  });

  it('retries a GET that answers 503', async () => {
    statuses = { 1: 503 };
    const value = await fanoutOf().run({ operation: 'get', data: undefined, context: {}, worker: httpWorker({ path: '/x' }), strategy: firstSuccess() });
    expect(value).toEqual({ ok: true });
    expect(upstream.requests.map((r) => r.method)).toEqual(['GET', 'GET']);
  });

  it.each([
    ['PUT', 2],
    ['DELETE', 2],
    ['PATCH', 1],
  ] as const)('treats %s as idempotent or not by its method (%i request(s) after a 503)', async (method, count) => {
    statuses = { 1: 503 };
    await fanoutOf().collect({ operation: 'write', data: undefined, context: {}, worker: httpWorker({ path: '/x', method }) });
    expect(upstream.requests).toHaveLength(count);
  });

  it('retries a POST with an idempotency key, sending the same key with each attempt', async () => {
    statuses = { 1: 503 };
    const charge = httpWorker<unknown, { id: string }>({ path: '/charge', json: true, idempotencyKey: (call) => `charge-${call.data.id}` });
    await fanoutOf().run({ operation: 'charge', data: { id: 'c1' }, context: {}, worker: charge, strategy: firstSuccess() });
    expect(upstream.requests.map((r) => r.headers['idempotency-key'])).toEqual(['charge-c1', 'charge-c1']);
  });

  it('retries a POST whose static headers carry an Idempotency-Key', async () => {
    statuses = { 1: 503 };
    const charge = httpWorker({ path: '/charge', json: true, headers: { 'Idempotency-Key': 'k-1' } });
    await fanoutOf().collect({ operation: 'charge', data: {}, context: {}, worker: charge });
    expect(upstream.requests).toHaveLength(2);
  });

  it('retries a POST declared idempotent: true', async () => {
    statuses = { 1: 503 };
    await fanoutOf().collect({ operation: 'search', data: {}, context: {}, worker: httpWorker({ path: '/search', json: true, idempotent: true }) });
    expect(upstream.requests).toHaveLength(2);
  });

  it('never hedges a POST', async () => {
    delayMs = 100;
    const charge = httpWorker({ path: '/charge', json: true });
    await fanoutOf({ hedge: { delayMs: 10 } }).collect({ operation: 'charge', data: {}, context: {}, worker: charge });
    expect(upstream.requests).toHaveLength(1);
  });

  it('retries a POST whose connection was refused, since it was never sent', async () => {
    const port = await refusedPort();
    const refused = { id: 'down', url: `http://127.0.0.1:${port}` };
    const fanout = createFanout({ router: staticRouter([refused]), retry: { maxAttempts: 2, baseDelayMs: 1 }, budget: false });
    const responses = await fanout.collect({ operation: 'charge', data: {}, context: {}, worker: httpWorker({ path: '/charge', json: true }) });
    expect(responses.errors.map((o) => o.attempts)).toEqual([2]);
  });
});

describe('httpWorker credentials', () => {
  it('sends the token from credentials.get as a Bearer token', async () => {
    const worker = httpWorker({ path: '/x', credentials: { get: (i) => `jwt-for-${i.id}`, refresh: () => {} } });
    await fanoutOf().collect({ operation: 'get', data: undefined, context: {}, worker });
    expect(upstream.requests[0]?.headers.authorization).toBe('Bearer jwt-for-payments');
  });

  it('refreshes the instance token after a 401 and retries once with the new one', async () => {
    statuses = { 1: 401 };
    const tokens = new Map<string, string>();
    const refreshed: string[] = [];
    const worker = httpWorker({
      path: '/x',
      credentials: {
        get: (i) => tokens.get(i.id) ?? 'expired',
        refresh: async (i) => {
          refreshed.push(i.id);
          tokens.set(i.id, 'fresh');
        },
      },
    });
    const value = await createFanout({ router: staticRouter([instance]), retry: false }).run({ operation: 'get', data: undefined, context: {}, worker, strategy: firstSuccess() });
    expect(value).toEqual({ ok: true });
    expect(refreshed).toEqual(['payments']);
    expect(upstream.requests.map((r) => r.headers.authorization)).toEqual(['Bearer expired', 'Bearer fresh']);
  });

  it('reports an instance that refuses the refreshed token too as unauthenticated, after one refresh', async () => {
    statuses = { 1: 401, 2: 401, 3: 401 };
    let refreshes = 0;
    const worker = httpWorker({ path: '/x', credentials: { get: () => 't', refresh: () => { refreshes += 1; } } });
    const responses = await fanoutOf().collect({ operation: 'get', data: undefined, context: {}, worker });
    expect(responses.errors.map((o) => o.reason)).toEqual(['unauthenticated']);
    expect([upstream.requests.length, refreshes]).toEqual([2, 1]);
  });

  it('refreshes one instance token once for a burst of concurrent 401s', async () => {
    statuses = { 1: 401, 2: 401, 3: 401, 4: 401, 5: 401 };
    let refreshes = 0;
    const worker = httpWorker({
      path: '/x',
      credentials: {
        get: () => 't',
        refresh: async () => {
          refreshes += 1;
          await new Promise((resolve) => setTimeout(resolve, 20));
        },
      },
    });
    const fanout = createFanout({ router: staticRouter([instance]), retry: false });
    await Promise.all(Array.from({ length: 5 }, () => fanout.collect({ operation: 'get', data: undefined, context: {}, worker })));
    expect(refreshes).toBe(1);
  });

  it('rejects credentials without refresh at creation', () => {
    expect(() => httpWorker({ path: '/x', credentials: { get: () => 't' } as never })).toThrow(/credentials/);
  });
});
