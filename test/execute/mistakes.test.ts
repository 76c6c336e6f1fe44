import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBreakers, createDedup, createFanout, fanOutTo, firstSuccess, mergeAll, staticRouter, type Instance } from '../../src/index.js';
import { createProxy, httpWorker } from '../../src/http/index.js';
import { cloud, expectNothingLeft, ok, scripted, seedInstances } from '../_support/instances.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; cause?: unknown }> {
  promise.catch(() => {});
  await vi.advanceTimersByTimeAsync(60_000);
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error) => error,
  );
}

function thrown(create: () => unknown): Error & { code?: string } {
  try {
    create();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

const worker = async (instance: Instance) => instance.id;
const call = { operation: 'get', data: {}, context: {}, worker, strategy: mergeAll() };

describe('a router that throws', () => {
  it.each([
    ['throws', () => {
      throw new Error('db down at 10.0.0.5');
    }],
    ['rejects', () => Promise.reject(new Error('db down at 10.0.0.5'))],
  ])('ends the call with ROUTER_FAILED when it %s, with the original on cause and none of its text', async (_how, route) => {
    const fanout = createFanout({ router: { route } });
    const error = await rejection(fanout.run(call));
    expect(error).toMatchObject({ code: 'ROUTER_FAILED', message: 'The router failed for "get"' });
    expect((error.cause as Error).message).toBe('db down at 10.0.0.5');
    expect(JSON.stringify(error)).not.toContain('10.0.0.5');
    expectNothingLeft();
  });

  it('wraps an HTTP client error from a lookup the router made: the router failed, it did not decide', async () => {
    const { HttpStatusError } = await import('../../src/http/index.js');
    const fanout = createFanout({ router: { route: () => Promise.reject(new HttpStatusError(503, { detail: { url: 'http://directory.internal/tenants' } })) } });
    const error = await rejection(fanout.run(call));
    expect(error).toMatchObject({ code: 'ROUTER_FAILED' });
    expect((error.cause as { code?: string }).code).toBe('UPSTREAM_STATUS');
  });

  it('passes a router\'s own SwitchyardError through unchanged', async () => {
    const fanout = createFanout({ router: staticRouter([]) });
    expect(await rejection(fanout.run(call))).toMatchObject({ code: 'NO_INSTANCES' });
  });
});

describe('a router that answers badly', () => {
  it('rejects an instance without an id with INVALID_CONFIG naming its index and field', async () => {
    const fanout = createFanout({ router: { route: () => [cloud, { url: 'http://x.internal' } as Instance] } });
    expect(await rejection(fanout.run(call))).toMatchObject({
      code: 'INVALID_CONFIG',
      message: 'Expected `route("get").1.id` to be a non-empty string',
    });
  });

  it('rejects duplicate instance ids instead of silently calling one of them', async () => {
    const fanout = createFanout({ router: { route: async () => [cloud, { id: 'cloud', url: 'http://other.internal' }] } });
    expect(await rejection(fanout.run(call))).toMatchObject({ code: 'INVALID_CONFIG', message: 'Expected `route("get").1.id` to be unique' });
  });

  it('rejects the same instance object routed twice, also once it has been checked before', async () => {
    let twice = false;
    const fanout = createFanout({ router: { route: () => (twice ? [cloud, cloud] : [cloud]) } });
    expect(await fanout.run(call)).toEqual(['cloud']);
    twice = true;
    expect(await rejection(fanout.run(call))).toMatchObject({ code: 'INVALID_CONFIG', message: 'Expected `route("get").1.id` to be unique' });
  });

  it('rejects an instance URL that is not absolute http(s), without echoing it', async () => {
    const fanout = createFanout({ router: { route: () => [{ id: 'a', url: 'localhost:8080/?token=s3cret' }] } });
    const error = await rejection(fanout.run(call));
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', message: 'Expected `route("get").0.url` to be an absolute http(s) URL' });
    expect(error.message).not.toContain('s3cret');
  });

  it('never calls a worker when the routed list is invalid', async () => {
    const { worker: scriptedWorker, calls } = scripted<number>({ '*': ok(1) });
    const fanout = createFanout({ router: { route: () => [cloud, { id: '' }] } });
    await rejection(fanout.run({ ...call, worker: scriptedWorker }));
    expect(calls).toHaveLength(0);
  });
});

describe('instances given at creation', () => {
  it('rejects a URL without a scheme in staticRouter', () => {
    expect(thrown(() => staticRouter([{ id: 'a', url: 'localhost:8080' }]))).toMatchObject({
      code: 'INVALID_CONFIG',
      message: 'Expected `instances.0.url` to be an absolute http(s) URL, got "localhost:8080"',
    });
  });

  it('rejects duplicate ids in fanOutTo', async () => {
    expect(await rejection(fanOutTo([cloud, cloud], worker))).toMatchObject({ code: 'INVALID_CONFIG', message: 'Expected `instances.1.id` to be unique, got "cloud" twice' });
  });
});

describe('unknown option keys', () => {
  it('suggests the known key for createFanout({ timeout })', () => {
    expect(thrown(() => createFanout({ router: staticRouter(seedInstances), timeout: 2000 } as never)).message).toBe(
      'Unknown option `timeout`; did you mean `timeoutMs`?',
    );
  });

  it('names the nested field of a misspelt retry setting', () => {
    expect(thrown(() => createFanout({ router: staticRouter(seedInstances), retry: { maxAttemps: 3 } } as never)).message).toBe(
      'Unknown option `retry.maxAttemps`; did you mean `retry.maxAttempts`?',
    );
  });

  it('rejects an unknown key in fanOutTo options', async () => {
    expect(await rejection(fanOutTo(seedInstances, worker, { deadline: 100 } as never))).toMatchObject({
      code: 'INVALID_CONFIG',
      message: 'Unknown option `deadline`; did you mean `deadlineMs`?',
    });
  });

  it('rejects an unknown key in an operation definition', () => {
    const fanout = createFanout({ router: staticRouter(seedInstances) });
    expect(thrown(() => fanout.operation({ name: 'get', worker, strategy: mergeAll(), concurency: 2 } as never)).message).toBe(
      'Unknown option `concurency`; did you mean `concurrency`?',
    );
  });

  it('rejects an unknown key in a call', async () => {
    const fanout = createFanout({ router: staticRouter(seedInstances) });
    expect(await rejection(fanout.run({ ...call, signl: undefined } as never))).toMatchObject({
      message: 'Unknown option `signl`; did you mean `signal`?',
    });
  });

  it('lists the known keys when nothing is close', () => {
    expect(thrown(() => createBreakers({ zzzzzz: 1 } as never)).message).toMatch(/^Unknown option `zzzzzz` \(known options: `policy`, /);
  });

  it.each([
    ['httpWorker', () => httpWorker({ path: '/x', timeout: 1 } as never), 'Unknown option `httpWorker.timeout`'],
    ['createProxy', () => createProxy({ target: 'http://127.0.0.1:1', timeoutMs: 1, headrs: {} } as never), 'Unknown option `createProxy.headrs`'],
    ['createDedup', () => createDedup({ ttl: 1 } as never), 'Unknown option `ttl`; did you mean `ttlMs`?'],
  ])('rejects an unknown key in %s', (_name, create, message) => {
    const error = thrown(create);
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message.startsWith(message)).toBe(true);
  });
});

describe('numbers', () => {
  it('rejects deadlineMs below timeoutMs, saying why', () => {
    expect(thrown(() => createFanout({ router: staticRouter(seedInstances), timeoutMs: 5000, deadlineMs: 1000 })).message).toBe(
      'Expected `deadlineMs` (1000) to be >= `timeoutMs` (5000): the deadline bounds the whole call, so raise `deadlineMs` or lower `timeoutMs`',
    );
  });

  it('rejects an operation whose timeout is above the fanout deadline', () => {
    const fanout = createFanout({ router: staticRouter(seedInstances), deadlineMs: 1000 });
    expect(thrown(() => fanout.operation({ name: 'get', worker, strategy: mergeAll(), timeoutMs: 2000 })).code).toBe('INVALID_CONFIG');
  });

  it('accepts a deadline below the default attempt timeout', () => {
    expect(() => createFanout({ router: staticRouter(seedInstances), deadlineMs: 1000 })).not.toThrow();
  });

  it.each([
    [Infinity, 'Expected `timeoutMs` to be a finite number > 0, got Infinity (not a finite number)'],
    [NaN, 'Expected `timeoutMs` to be a finite number > 0, got NaN (not a finite number)'],
  ])('names %s as a non-finite number instead of "got null"', (value, message) => {
    expect(thrown(() => createFanout({ router: staticRouter(seedInstances), timeoutMs: value })).message).toBe(message);
  });
});

describe('a principal function that throws', () => {
  it('wraps an HTTP client error thrown by the principal function in PRINCIPAL_FAILED', async () => {
    const { UpstreamNetworkError } = await import('../../src/http/index.js');
    const fanout = createFanout({
      router: staticRouter(seedInstances),
      principal: () => {
        throw new UpstreamNetworkError({ cause: new Error('connect ECONNREFUSED 10.0.0.9:443'), detail: { url: 'https://10.0.0.9/me' } });
      },
      dedup: { ttlMs: 1_000 },
    });
    expect(await rejection(fanout.run(call))).toMatchObject({ code: 'PRINCIPAL_FAILED' });
  });

  it('rejects with PRINCIPAL_FAILED, the original on cause, and runs no worker', async () => {
    const { worker: scriptedWorker, calls } = scripted<number>({ '*': ok(1) });
    const fanout = createFanout<unknown, { user?: { id: string } }>({
      router: staticRouter(seedInstances),
      dedup: { ttlMs: 1000 },
      principal: (context) => context.user!.id,
    });
    const run = () => fanout.run({ operation: 'get', data: {}, context: {}, worker: scriptedWorker, strategy: mergeAll() });
    const [first, second] = await Promise.all([rejection(run()), rejection(run())]);
    expect(first).toMatchObject({ code: 'PRINCIPAL_FAILED', message: 'The principal function failed for "get"' });
    expect(first.cause).toBeInstanceOf(TypeError);
    expect(second).toMatchObject({ code: 'PRINCIPAL_FAILED' });
    expect(first).not.toBe(second);
    expect(calls).toHaveLength(0);
  });

  it('rejects a principal that is not a string with PRINCIPAL_FAILED', async () => {
    const fanout = createFanout({ router: staticRouter(seedInstances), dedup: {}, principal: () => 42 as never });
    expect(await rejection(fanout.run(call))).toMatchObject({
      code: 'PRINCIPAL_FAILED',
      message: 'Expected `principal(context)` to return a string or undefined for "get", got number',
    });
  });
});

describe('httpWorker paths', () => {
  it('rejects a static path without a leading slash when the worker is created', () => {
    expect(thrown(() => httpWorker({ path: 'users' }))).toMatchObject({
      code: 'INVALID_CONFIG',
      message: 'Expected `httpWorker.path` to be a function or a path starting with / that stays inside the instance, got "users"',
    });
  });

  it('ends the call with INVALID_INPUT "path must start with /" instead of ALL_FAILED', async () => {
    const getUser = httpWorker<unknown, { id: string }>({ path: (c) => `users/${c.data.id}` });
    // Refused before any request: the URL's port is never connected to.
    const fanout = createFanout({ router: staticRouter([{ id: 'a', url: 'http://127.0.0.1:9' }]) });
    const error = await rejection(fanout.run({ operation: 'getUser', data: { id: '1' }, context: {}, worker: getUser, strategy: firstSuccess() }));
    expect(error).toMatchObject({ code: 'INVALID_INPUT', message: 'path must start with / (instance a)' });
  });
});
