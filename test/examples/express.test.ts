import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../examples/express/app.js';
import { byName, useExample } from './_support.js';

const world = useExample(
  (backends) =>
    new Promise((resolve) => {
      const server = createApp(backends).listen(0, '127.0.0.1', () =>
        resolve({
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              server.closeAllConnections();
            }),
        }),
      );
    }),
);

describe('the Express example', () => {
  it('merges the groups of every instance the user belongs to', async () => {
    const { status, body } = await world.get('/groups?q=eng', 'ada');
    expect(status).toBe(200);
    expect(byName(body)).toEqual(['ACME Engineering', 'Engineering']);
  });

  it('leaves out instances that answer 403 for this user', async () => {
    const { body } = await world.get('/groups?q=', 'grace');
    expect(byName(body)).toEqual(['Conference Staff', 'Engineering', 'Operations']);
  });

  it('answers one group from the instance that has it', async () => {
    const { status, body } = await world.get('/groups/g-ops', 'grace');
    expect(status).toBe(200);
    expect(body).toEqual({ id: 'g-ops', name: 'Operations', instance: 'cloud' });
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

  it('proxies /api to the first instance, which checks its own credentials', async () => {
    // Through the proxy the browser talks to the instance directly: without an instance token it is refused.
    const response = await fetch(`${world.url}/api/groups?q=eng`);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ code: 'UNAUTHORIZED' });
  });
});
