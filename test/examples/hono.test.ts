import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../examples/hono/app.js';
import { sharedExampleCases, useExample } from './_support.js';

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
  sharedExampleCases(world);

  it('answers one group from the instance that has it', async () => {
    const { status, body } = await world.get('/groups/g-acme-eng', 'ada');
    expect(status).toBe(200);
    expect(body).toEqual({ id: 'g-acme-eng', name: 'ACME Engineering', instance: 'enterprise-acme' });
  });

  it('refuses a request without a user', async () => {
    expect((await world.get('/groups?q=')).status).toBe(401);
  });
});
