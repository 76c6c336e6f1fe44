import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Backend } from '../../examples/shared/credentials.js';
import { startInstances } from '../../examples/shared/main.js';
import type { InstanceSeed, RunningInstance } from '../../examples/shared/world.js';
import { leftoverResources } from '../_support/resources.js';

export interface ExampleWorld {
  readonly backends: Backend[];
  /** The BFF's base URL once `serve` resolved. */
  readonly url: string;
  get(path: string, user?: string): Promise<{ status: number; body: unknown }>;
}

/**
 * Starts the example's instances and its BFF (on an ephemeral port) for one test file, and stops
 * both after it, checking that nothing was left behind.
 */
export function useExample(
  serve: (backends: Backend[]) => Promise<{ url: string; close(): Promise<void> }>,
  start?: (seed: InstanceSeed) => Promise<RunningInstance>,
): ExampleWorld {
  const state: { backends?: Backend[]; url?: string; close?: () => Promise<void> } = {};
  let before: string[] = [];
  beforeAll(async () => {
    before = process.getActiveResourcesInfo();
    const instances = await startInstances(start);
    const bff = await serve(instances.backends);
    state.backends = instances.backends;
    state.url = bff.url;
    state.close = async () => {
      await bff.close();
      await instances.close();
    };
  });
  afterAll(async () => {
    await state.close?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(leftoverResources(before)).toEqual([]);
  });
  return {
    get backends() {
      return state.backends!;
    },
    get url() {
      return state.url!;
    },
    async get(path, user) {
      const response = await fetch(`${state.url}${path}`, { headers: user === undefined ? {} : { 'x-user': user } });
      return { status: response.status, body: await response.json() };
    },
  };
}

/** The same assertions for every framework: what the BFF combines from the three instances. */
export const byName = (groups: unknown) => [...(groups as { name: string }[])].map((group) => group.name).sort();

/**
 * The behaviour every framework example shares, registered as tests: merging across the user's
 * instances, leaving out 403 instances, and the NOT_FOUND / FORBIDDEN answers without upstream text.
 */
export function sharedExampleCases(world: ExampleWorld): void {
  it('merges the groups of every instance the user belongs to', async () => {
    const { status, body } = await world.get('/groups?q=eng', 'ada');
    expect(status).toBe(200);
    expect(byName(body)).toEqual(['ACME Engineering', 'Engineering']);
  });

  it('leaves out instances that answer 403 for this user', async () => {
    // grace is a member of cloud and enterprise-conf only; enterprise-acme answers 403.
    const { body } = await world.get('/groups?q=', 'grace');
    expect(byName(body)).toEqual(['Conference Staff', 'Engineering', 'Operations']);
  });

  sharedErrorCases(world);
}

/** The answers every example gives when no instance has the group or the user has none: codes, no upstream text. */
export function sharedErrorCases(world: ExampleWorld): void {
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
}
