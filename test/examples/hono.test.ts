import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../examples/hono/app.js';
import { byName, useExample } from './_support.js';

const world = useExample(
  (backends) =>
    new Promise((resolve) => {
      const server = serve({ fetch: createApp(backends).fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
        resolve({
          url: `http://127.0.0.1:${info.port}`,
          close: () => new Promise<void>((done) => server.close(() => done())),
        }),
      );
    }),
);

describe('the Hono example', () => {
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
    expect((await world.get('/groups?q=')).status).toBe(401);
  });
});
