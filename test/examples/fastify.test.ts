import { describe, expect, it } from 'vitest';
import { createApp } from '../../examples/fastify/app.js';
import { sharedExampleCases, useExample } from './_support.js';

const world = useExample(async (backends) => {
  const app = createApp(backends);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
});

describe('the Fastify example', () => {
  sharedExampleCases(world);

  it('answers one group from the instance that has it', async () => {
    const { status, body } = await world.get('/groups/g-conf', 'grace');
    expect(status).toBe(200);
    expect(body).toEqual({ id: 'g-conf', name: 'Conference Staff', instance: 'enterprise-conf' });
  });

  it('refuses a request without a user', async () => {
    expect((await world.get('/groups?q=')).status).toBe(401);
  });
});
