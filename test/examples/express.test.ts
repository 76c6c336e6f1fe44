import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../examples/express/app.js';
import { sharedExampleCases, useExample } from './_support.js';

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
  sharedExampleCases(world);

  it('answers one group from the instance that has it', async () => {
    const { status, body } = await world.get('/groups/g-ops', 'grace');
    expect(status).toBe(200);
    expect(body).toEqual({ id: 'g-ops', name: 'Operations', instance: 'cloud' });
  });

  it('proxies /api to the first instance, which checks its own credentials', async () => {
    // Through the proxy the browser talks to the instance directly: without an instance token it is refused.
    const response = await fetch(`${world.url}/api/groups?q=eng`);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ code: 'UNAUTHORIZED' });
  });
});
