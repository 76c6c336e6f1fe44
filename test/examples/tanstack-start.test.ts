import { describe, expect, it } from 'vitest';
import { serveApp } from '../../examples/tanstack-start/serve.js';
import { startRestInstance, type InstanceSeed, type RunningInstance } from '../../examples/shared/world.js';
import { byName, useExample } from './_support.js';

// The instances by id, so that one test can stop one of them.
const running = new Map<string, RunningInstance>();
const world = useExample(
  (backends) => serveApp(backends),
  async (seed: InstanceSeed) => {
    const instance = await startRestInstance(seed);
    running.set(instance.id, instance);
    return instance;
  },
);

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
