import { createServer } from 'node:http';
import { fromCrossJSON, toJSON } from 'seroval';
import { describe, expect, it } from 'vitest';
import { serveApp, type RunningApp } from '../../examples/tanstack-start/serve.js';
import { listen, startRestInstance, type InstanceSeed, type RunningInstance } from '../../examples/shared/world.js';
import { byName, sharedErrorCases, useExample } from './_support.js';

// The instances by id, so that one test can stop one of them.
const running = new Map<string, RunningInstance>();
let app: RunningApp | undefined;

/**
 * A fourth instance: it never answers a search for "slow" and notes when the BFF hangs up on it;
 * anything else it refuses with 403 (not this user's instance), which every strategy leaves out.
 */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}
const slow = { requests: 0, received: deferred<void>(), closed: deferred<void>() };
async function startSlowInstance(): Promise<RunningInstance> {
  const server = createServer((req, res) => {
    if (new URL(req.url ?? '/', 'http://instance').searchParams.get('q') !== 'slow') {
      res.writeHead(403, { 'content-type': 'application/json' }).end('{"code":"FORBIDDEN"}');
      return;
    }
    slow.requests += 1;
    res.on('close', () => slow.closed.resolve());
    slow.received.resolve();
  });
  return listen(server, 'slow');
}

const world = useExample(
  async (backends) => {
    const instance = await startSlowInstance();
    // Timeouts far longer than any test: when an instance call ends, the client's leaving ended it.
    const started = await serveApp([...backends, { id: instance.id, url: instance.url, secret: 'slow-secret' }], 0, {
      timeoutMs: 600_000,
      deadlineMs: 1_200_000,
    });
    app = started;
    return {
      url: started.url,
      close: async () => {
        await started.close();
        await instance.close();
      },
    };
  },
  async (seed: InstanceSeed) => {
    const instance = await startRestInstance(seed);
    running.set(instance.id, instance);
    return instance;
  },
);

/** Calls a server function over HTTP as Start's client does. */
async function callFunction(name: 'searchGroups' | 'getGroup', data: unknown, user: string): Promise<{ status: number; text: string }> {
  const path = await app!.functionPath(name);
  const payload = encodeURIComponent(JSON.stringify(toJSON({ data })));
  const response = await fetch(`${world.url}${path}?payload=${payload}`, {
    headers: { 'x-tsr-serverfn': 'true', 'x-user': user, origin: world.url, 'sec-fetch-site': 'same-origin' },
  });
  return { status: response.status, text: await response.text() };
}

describe('the TanStack Start example', () => {
  it('merges the groups of every instance the user belongs to, with no warnings', async () => {
    const { status, body } = await world.get('/groups?q=eng', 'ada');
    expect(status).toBe(200);
    const result = body as { data: unknown; warnings: unknown[]; unavailableInstances: unknown[] };
    expect(byName(result.data)).toEqual(['ACME Engineering', 'Engineering']);
    expect(result.warnings).toEqual([]);
    expect(result.unavailableInstances).toEqual([]);
  });

  it('leaves out instances that answer 403 for this user', async () => {
    // grace is a member of cloud and enterprise-conf only; enterprise-acme answers 403.
    const { body } = await world.get('/groups?q=', 'grace');
    expect(byName((body as { data: unknown }).data)).toEqual(['Conference Staff', 'Engineering', 'Operations']);
    expect((body as { warnings: unknown[] }).warnings).toEqual([]);
  });

  it('answers one group from the instance that has it', async () => {
    const { status, body } = await world.get('/groups/g-acme-eng', 'ada');
    expect(status).toBe(200);
    expect(body).toEqual({ id: 'g-acme-eng', name: 'ACME Engineering', instance: 'enterprise-acme' });
  });

  sharedErrorCases(world);

  it('refuses a request without a user', async () => {
    const { status, body } = await world.get('/groups?q=');
    expect(status).toBe(401);
    expect(body).toEqual({ code: 'UNAUTHENTICATED' });
  });

  it('answers a call of the server function from the browser with the combined value', async () => {
    // What the client-side `getGroup({ data })` sends: seroval JSON in `payload`, same-origin.
    const { status, text } = await callFunction('getGroup', { id: 'g-acme-eng' }, 'ada');
    expect(status).toBe(200);
    expect(fromCrossJSON(JSON.parse(text), { refs: new Map() })).toEqual({ result: { id: 'g-acme-eng', name: 'ACME Engineering', instance: 'enterprise-acme' } });
  });

  it('rejects a call from the browser with a code and a generic message only', async () => {
    const { status, text } = await callFunction('getGroup', { id: 'g-eng' }, 'mallory');
    expect(status).toBe(403);
    expect(JSON.parse(text)).toEqual({ name: 'SwitchyardError', code: 'FORBIDDEN', message: 'The request is not allowed' });
    expect(text).not.toMatch(/cloud|enterprise|127\.0\.0\.1|stack|cause/);
  });

  it('stops calling the instances when the client goes away', async () => {
    const client = new AbortController();
    const call = fetch(`${world.url}/groups?q=slow`, { headers: { 'x-user': 'ada' }, signal: client.signal }).catch((error: unknown) => error);
    await slow.received.promise;
    // Vite's dev server logs the abandoned request's abort error to stderr: expected here.
    client.abort();
    expect(await call).toMatchObject({ name: 'AbortError' });
    // The request's signal reached the worker: the BFF hung up on the instance (its attempt
    // timeout is ten minutes away, so nothing else could have), and did not try again.
    await slow.closed.promise;
    expect(slow.requests).toBe(1);
  });

  // Last: it stops an instance for good.
  it('answers with what it has and a warning when an instance is down', async () => {
    await running.get('enterprise-acme')!.close();
    const { status, body } = await world.get('/groups?q=eng', 'ada');
    expect(status).toBe(200);
    expect(byName((body as { data: unknown }).data)).toEqual(['Engineering']);
    expect(body).toMatchObject({
      warnings: [{ instance: 'enterprise-acme', category: 'failed' }],
      unavailableInstances: ['enterprise-acme'],
    });
    expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|secret/);
  });
});
