/**
 * The HTTP fakes of switchyard/testing, observed the way a BFF observes them: real servers on
 * 127.0.0.1, called through `httpWorker` and `createFanout`. Each fault must produce the outcome
 * the docs promise for it. Where a test waits on time, the fan-out runs on a manual clock and the
 * test moves it only once the server has the request; the few real-time waits are lower bounds
 * taken from the configured delays, which a slow machine can only make longer.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createFanout, isSwitchyardError, mergeAll, staticRouter, type Fanout, type Outcome } from '../../src/index.js';
import { httpWorker, isHttpStatusError, isUpstreamNetworkError, isUpstreamResponseError } from '../../src/http/index.js';
import {
  createManualClock,
  fakeInstances,
  FakeInstanceError,
  startFakeHttpFleet,
  startFakeHttpInstance,
  type FakeFaultChance,
  type FakeHttpFleet,
  type FakeHttpInstance,
  type FakeResult,
} from '../../src/testing/index.js';
import { leftoverResourcesSettled } from '../_support/resources.js';

const open: (FakeHttpFleet | FakeHttpInstance)[] = [];
let before: string[] = [];

beforeEach(() => {
  before = process.getActiveResourcesInfo();
});

afterEach(async () => {
  for (const fake of open.splice(0)) await fake.close();
  // Sockets closed by close() disappear a few event-loop turns later.
  expect(await leftoverResourcesSettled(before)).toEqual([]);
});

async function fleetOf(...args: Parameters<typeof startFakeHttpFleet>): Promise<FakeHttpFleet> {
  const fleet = await startFakeHttpFleet(...args);
  open.push(fleet);
  return fleet;
}

async function fakeOf(...args: Parameters<typeof startFakeHttpInstance>): Promise<FakeHttpInstance> {
  const fake = await startFakeHttpInstance(...args);
  open.push(fake);
  return fake;
}

/** Waits (real time, polling) until `condition` holds; the limit only turns a hang into a failure. */
async function until(condition: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`still waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const describeOutcome = (outcome: Outcome<unknown>) =>
  outcome.status === 'error' ? `error (${outcome.reason})` : outcome.status === 'skipped' ? `skipped (${outcome.reason})` : outcome.status;

function fanoutFor(fake: FakeHttpInstance | FakeHttpFleet, options: Partial<Parameters<typeof createFanout>[0]> = {}): Fanout<unknown, unknown> {
  const instances = 'instance' in fake ? [fake.instance] : fake.instances;
  return createFanout({ router: staticRouter(instances), timeoutMs: 10_000, deadlineMs: 20_000, retry: false, budget: false, random: () => 0.5, ...options });
}

const get = httpWorker<unknown>({ path: '/items?page=1' });

describe('answers', () => {
  test('listens on 127.0.0.1 and answers each instance with its own JSON, recording every request', async () => {
    const fleet = await fleetOf({ instances: 3, seed: 1, latency: { baseMs: 1 } });
    expect(fleet.instances.map((instance) => instance.id)).toEqual(['fake-0', 'fake-1', 'fake-2']);
    for (const instance of fleet.instances) expect(instance.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const value = await fanoutFor(fleet).run({ operation: 'items', data: {}, context: {}, worker: get, strategy: mergeAll() });

    expect((value as { instanceId: string }[]).map((v) => v.instanceId).sort()).toEqual(['fake-0', 'fake-1', 'fake-2']);
    expect(fleet.requests).toHaveLength(3);
    for (const request of fleet.requests) {
      expect(request).toMatchObject({ method: 'GET', path: '/items?page=1', index: 0, fault: undefined, outcome: 'answered' });
      expect(request.headers['x-request-deadline-ms']).toMatch(/^\d+$/);
    }
  });

  test('records the body of a POST and answers with what respond returns', async () => {
    const fake = await fakeOf({ id: 'orders', seed: 1, region: 'eu', respond: (request) => ({ echoed: JSON.parse(request.body) as unknown }) });
    expect(fake.instance).toEqual({ id: 'orders', url: fake.url, region: 'eu' });
    const post = httpWorker<{ echoed: unknown }, { sku: string }>({ path: '/orders', json: true });
    const responses = await fanoutFor(fake).collect({ operation: 'order', data: { sku: 'a-1' }, context: {}, worker: post });
    expect(responses.successes.map((s) => s.data)).toEqual([{ echoed: { sku: 'a-1' } }]);
    expect(fake.requests[0]).toMatchObject({ method: 'POST', body: '{"sku":"a-1"}', headers: { 'content-type': 'application/json' } });
  });
});

describe('faults, as a fan-out sees them through httpWorker', () => {
  test('hang: the attempt times out at its timeout, and the instance sees the request aborted', async () => {
    const clock = createManualClock(1_000);
    const fake = await fakeOf({ seed: 1, fault: { fault: 'hang' } });
    const worker = httpWorker<unknown>({ path: '/slow', clock });
    const running = fanoutFor(fake, { clock, timeoutMs: 300, deadlineMs: 1_000 }).collect({ operation: 'slow', data: {}, context: {}, worker });

    await until(() => fake.requests.length === 1, 'the request to arrive');
    await clock.advanceAsync(299);
    expect(fake.requests[0]!.outcome).toBe('pending');
    await clock.advanceAsync(1);
    const responses = await running;

    expect(responses.all.map(describeOutcome)).toEqual(['error (timeout)']);
    await until(() => fake.requests[0]!.outcome !== 'pending', 'the server to see the abort');
    expect(fake.requests[0]).toMatchObject({ fault: { fault: 'hang' }, outcome: 'aborted' });
  });

  test('reset: an error (failed) from UpstreamNetworkError, retried for GET and seen twice on the wire', async () => {
    const fake = await fakeOf({ seed: 1, fault: { fault: 'reset' } });
    const responses = await fanoutFor(fake, { retry: { maxAttempts: 2, baseDelayMs: 1 } }).collect({ operation: 'items', data: {}, context: {}, worker: get });
    const [outcome] = responses.all;
    expect(describeOutcome(outcome!)).toBe('error (failed)');
    expect(outcome).toMatchObject({ attempts: 2 });
    expect(isUpstreamNetworkError((outcome as { error: unknown }).error)).toBe(true);
    expect(fake.requests.map((r) => r.outcome)).toEqual(['reset', 'reset']);
  });

  test('malformed: an error (failed) from UpstreamResponseError, never retried', async () => {
    const fake = await fakeOf({ seed: 1, fault: { fault: 'malformed' } });
    const responses = await fanoutFor(fake, { retry: { maxAttempts: 3, baseDelayMs: 1 } }).collect({ operation: 'items', data: {}, context: {}, worker: get });
    const [outcome] = responses.all;
    expect(describeOutcome(outcome!)).toBe('error (failed)');
    expect(outcome).toMatchObject({ attempts: 1, error: { problem: 'malformed-json' } });
    expect(isUpstreamResponseError((outcome as { error: unknown }).error)).toBe(true);
    expect(fake.requests).toHaveLength(1);
  });

  test('drip: the body arrives in chunks and the call succeeds once all of it is in', async () => {
    const clock = createManualClock();
    const fake = await fakeOf({ seed: 1, clock, respond: () => ({ name: 'slowly' }), fault: { fault: 'drip', chunkBytes: 4, intervalMs: 50 } });
    const running = fanoutFor(fake, { clock }).collect({ operation: 'items', data: {}, context: {}, worker: httpWorker<unknown>({ path: '/', clock }) });
    const chunks = Math.ceil(JSON.stringify({ name: 'slowly' }).length / 4);
    await until(() => fake.requests.length === 1, 'the request to arrive');
    for (let sent = 0; sent < chunks; sent += 1) await clock.advanceAsync(50);
    const responses = await running;
    expect(responses.successes.map((s) => s.data)).toEqual([{ name: 'slowly' }]);
    expect(fake.requests[0]!.outcome).toBe('answered');
  });

  test('drip: a body slower than the attempt timeout ends as a timeout', async () => {
    const clock = createManualClock();
    const fake = await fakeOf({ seed: 1, clock, fault: { fault: 'drip', chunkBytes: 1, intervalMs: 100 } });
    const running = fanoutFor(fake, { clock, timeoutMs: 250 }).collect({ operation: 'items', data: {}, context: {}, worker: httpWorker<unknown>({ path: '/', clock }) });
    await until(() => fake.requests.length === 1, 'the request to arrive');
    await clock.advanceAsync(250);
    const responses = await running;
    expect(responses.all.map(describeOutcome)).toEqual(['error (timeout)']);
    await until(() => fake.requests[0]!.outcome !== 'pending', 'the server to see the abort');
    expect(fake.requests[0]!.outcome).toBe('aborted');
  });

  test.each([
    [403, 'unauthorized', 1],
    [404, 'not-found', 1],
    [400, 'error (failed)', 1],
    [500, 'error (failed)', 2],
    [502, 'error (failed)', 2],
    [401, 'error (unauthenticated)', 1],
  ])('status %i: %s after %i attempt(s) with retries on', async (status, outcome, attempts) => {
    const fake = await fakeOf({ seed: 1, fault: { fault: 'status', status, body: { message: 'secret upstream text' } } });
    const responses = await fanoutFor(fake, { retry: { maxAttempts: 2, baseDelayMs: 1 } }).collect({ operation: 'items', data: {}, context: {}, worker: get });
    expect(responses.all.map(describeOutcome)).toEqual([outcome]);
    const error = (responses.all[0] as { error: unknown }).error;
    expect(isHttpStatusError(error) && error.status).toBe(status);
    expect(fake.requests).toHaveLength(attempts);
  });

  test('status 200 with a body: the body is the answer', async () => {
    const fake = await fakeOf({ seed: 1, fault: { fault: 'status', status: 200, body: [1, 2] } });
    const responses = await fanoutFor(fake).collect({ operation: 'items', data: {}, context: {}, worker: get });
    expect(responses.successes.map((s) => s.data)).toEqual([[1, 2]]);
  });

  test.each([503, 429])('status %i with Retry-After: the retry waits at least what the instance asked for', async (status) => {
    const fake = await fakeOf({ seed: 1, fault: (request) => (request.index === 0 ? { fault: 'status', status, retryAfterSeconds: 1 } : undefined) });
    // Without Retry-After the retry would wait about 1 ms.
    const responses = await fanoutFor(fake, { retry: { maxAttempts: 2, baseDelayMs: 2 } }).collect({ operation: 'items', data: {}, context: {}, worker: get });
    expect(responses.all.map(describeOutcome)).toEqual(['success']);
    expect(fake.requests.map((r) => r.outcome)).toEqual(['answered', 'answered']);
    // Timers may fire up to a millisecond early against Date.now(); the wait can only be longer.
    expect(fake.requests[1]!.receivedAt - fake.requests[0]!.receivedAt).toBeGreaterThanOrEqual(999);
  });
});

describe('choosing faults', () => {
  test('a plan function picks per request: the first request is reset, its retry succeeds', async () => {
    const fake = await fakeOf({ seed: 1, fault: (request) => (request.index === 0 ? { fault: 'reset' } : undefined) });
    const responses = await fanoutFor(fake, { retry: { maxAttempts: 2, baseDelayMs: 1 } }).collect({ operation: 'items', data: {}, context: {}, worker: get });
    expect(responses.all).toMatchObject([{ status: 'success', attempts: 2 }]);
    expect(fake.requests.map((r) => r.fault?.fault)).toEqual(['reset', undefined]);
  });

  test('setFault changes what later requests get, per instance of a fleet', async () => {
    const fleet = await fleetOf({ instances: [{ id: 'eu' }, { id: 'us' }], seed: 1 });
    const fanout = fanoutFor(fleet);
    fleet.setFault('us', { fault: 'status', status: 404 });
    const first = await fanout.collect({ operation: 'items', data: {}, context: {}, worker: get });
    fleet.setFault('us', undefined);
    const second = await fanout.collect({ operation: 'items', data: {}, context: {}, worker: get });
    const byId = (responses: typeof first) => Object.fromEntries(responses.all.map((o) => [o.instance.id, describeOutcome(o)]));
    expect(byId(first)).toEqual({ eu: 'success', us: 'not-found' });
    expect(byId(second)).toEqual({ eu: 'success', us: 'success' });
    expect(() => fleet.setFault('asia', undefined)).toThrow(/Expected `instanceId` to be one of "eu", "us"/);
  });

  test('seeded chances repeat exactly, and match the in-process fakes with the same seed', async () => {
    const chances: FakeFaultChance[] = [
      { fault: 'status', status: 503, probability: 0.3 },
      { fault: 'status', status: 404, probability: 0.2 },
    ];
    const runFleet = async () => {
      const fleet = await fleetOf({ instances: 2, seed: 9, fault: chances });
      const fanout = fanoutFor(fleet);
      const seen: string[] = [];
      for (let round = 0; round < 12; round += 1) {
        const responses = await fanout.collect({ operation: 'items', data: {}, context: {}, worker: get });
        for (const id of ['fake-0', 'fake-1']) {
          const outcome = responses.all.find((o) => o.instance.id === id)!;
          seen.push(outcome.status === 'success' ? 'ok' : String((outcome as { error: { status: number } }).error.status));
        }
      }
      return seen;
    };
    const first = await runFleet();
    expect(await runFleet()).toEqual(first);
    expect(first.filter((s) => s !== 'ok').length).toBeGreaterThan(0);

    const inProcess = fakeInstances<FakeResult>({ count: 2, seed: 9, latency: { baseMs: 0 }, fault: chances });
    const seen: string[] = [];
    for (let round = 0; round < 12; round += 1) {
      for (const instance of inProcess.instances) {
        const call = { data: undefined, context: undefined, operation: 'items', signal: new AbortController().signal, attempt: 1, deadline: Date.now() + 1_000, hedge: false };
        seen.push(await inProcess.worker(instance, call).then(() => 'ok', (error: FakeInstanceError) => String(error.status)));
      }
    }
    expect(seen).toEqual(first);
  });

  test.each([
    [{ instances: 1, seed: 1, fault: { fault: 'explode' } }, 'Expected `fault.fault` to be one of'],
    [{ instances: 1, seed: 1, fault: { fault: 'status', status: 99 } }, 'Expected `fault.status` to be an HTTP status from 200 to 599, got 99'],
    [{ instances: 1, seed: 1, fault: { fault: 'status', status: 503, retryAfterSeconds: 1.5 } }, 'Expected `fault.retryAfterSeconds` to be an integer >= 0'],
    [{ instances: [{ id: 'a' }, { id: 'b', fault: [{ fault: 'reset', probability: 2 }] }], seed: 1 }, 'Expected `instances.1.fault.0.probability` to be a number between 0 and 1'],
    [{ instances: 1, seed: 1, fault: [{ fault: 'reset', probability: 0.6 }, { fault: 'hang', probability: 0.6 }] }, 'Expected `fault` to be probabilities that sum to at most 1'],
    [{ instances: [{ id: 'a' }, { id: 'a' }], seed: 1 }, 'Expected `instances.id` to be unique ids'],
    [{ instances: 0, seed: 1 }, 'Expected `instances`'],
    [{ instances: 1, seed: 1, latency: { baseMs: -1 } }, 'Expected `latency.baseMs` to be a finite number >= 0'],
  ])('rejects %j with INVALID_CONFIG naming the field, before listening', async (options, message) => {
    const thrown = await startFakeHttpFleet(options as never).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isSwitchyardError(thrown) && thrown.code).toBe('INVALID_CONFIG');
    expect((thrown as Error).message).toContain(message);
  });

  test('a plan function that returns something that is not a fault answers 500 saying so', async () => {
    const fake = await fakeOf({ seed: 1, fault: () => ({ fault: 'nope' }) as never });
    const responses = await fanoutFor(fake).collect({ operation: 'items', data: {}, context: {}, worker: get });
    expect(responses.all.map(describeOutcome)).toEqual(['error (failed)']);
    expect((responses.all[0] as { error: { status: number } }).error.status).toBe(500);
  });
});

describe('close', () => {
  test('closes hung connections too: the client sees its request end and nothing is left open', async () => {
    const fake = await startFakeHttpInstance({ seed: 1, fault: { fault: 'hang' } });
    const ended = new Promise<string>((resolve) => {
      const request = httpRequest(`${fake.url}/wait`, (response) => resolve(`answered ${response.statusCode}`));
      request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      request.end();
    });
    await until(() => fake.requests.length === 1, 'the request to arrive');
    await fake.close();
    expect(await ended).toBe('ECONNRESET');
    expect(fake.requests[0]!.outcome).toBe('closed');
    await fake.close(); // a second close is harmless
  });

  test('closes a connection whose request is still arriving', async () => {
    const fake = await startFakeHttpInstance({ seed: 1 });
    const socket = connect(Number(new URL(fake.url).port), '127.0.0.1');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('POST /slow HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{"partial":');
    await fake.close();
    await closed;
    expect(fake.requests).toEqual([]);
  });

  test('a fleet closes every instance, with requests still waiting out their latency', async () => {
    const fleet = await startFakeHttpFleet({ instances: 2, seed: 1, latency: { baseMs: 60_000 } });
    const running = fanoutFor(fleet, { timeoutMs: 120_000, deadlineMs: 120_000 }).collect({ operation: 'items', data: {}, context: {}, worker: get });
    await until(() => fleet.requests.length === 2, 'both requests to arrive');
    await fleet.close();
    const responses = await running;
    expect(responses.all.map(describeOutcome)).toEqual(['error (failed)', 'error (failed)']);
    expect(fleet.requests.map((r) => r.outcome)).toEqual(['closed', 'closed']);
  });
});

test('the testing entry loads in any runtime: node:http is imported only when an HTTP fake starts', async () => {
  const staticNodeImports: string[] = [];
  await build({
    entryPoints: [fileURLToPath(new URL('../../src/testing/index.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'node-imports',
        setup(builder) {
          builder.onResolve({ filter: /^node:/ }, (args) => {
            if (args.kind !== 'dynamic-import') staticNodeImports.push(`${args.importer} -> ${args.path}`);
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  expect(staticNodeImports).toEqual([]);
});

test('a respond that throws, or returns what JSON cannot encode, answers 500 instead of crashing', async () => {
  const throwing = await fakeOf({ id: 'a', seed: 1, respond: () => { throw new Error('no data for this path'); } });
  const cyclic = await fakeOf({ id: 'b', seed: 1, respond: () => ({ big: 1n }) });
  for (const fake of [throwing, cyclic]) {
    const responses = await fanoutFor(fake).collect({ operation: 'items', data: {}, context: {}, worker: get });
    expect((responses.all[0] as { error: { status: number } }).error.status).toBe(500);
  }
  expect(throwing.requests[0]!.outcome).toBe('answered');
});
