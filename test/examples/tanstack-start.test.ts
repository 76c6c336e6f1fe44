import { fromCrossJSON, toJSON } from 'seroval';
import { describe, expect, it } from 'vitest';
import { serveApp, type RunningApp } from '../../examples/tanstack-start/serve.js';
import { startRestInstance, type InstanceSeed, type RunningInstance } from '../../examples/shared/world.js';
import { byName, useExample } from './_support.js';

// The instances by id, so that one test can stop one of them.
const running = new Map<string, RunningInstance>();
let app: RunningApp | undefined;
const world = useExample(
  async (backends) => (app = await serveApp(backends)),
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

  it('answers 404 NOT_FOUND when no instance has the group', async () => {
    const { status, body } = await world.get('/groups/g-none', 'ada');
    expect(status).toBe(404);
    expect(body).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers 403 FORBIDDEN when the user belongs to no instance, without upstream text', async () => {
    const { status, body } = await world.get('/groups/g-eng', 'mallory');
    expect(status).toBe(403);
    expect(body).toMatchObject({ code: 'FORBIDDEN' });
    expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|secret|Bearer/);
  });

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
