/**
 * Runs the Hono example against three local instances:
 *
 *   npx tsx examples/hono/server.ts
 *   curl -H 'x-user: ada' 'http://127.0.0.1:3000/groups?q=eng'
 */
import { serve } from '@hono/node-server';
import { closeOnSignal, startInstances } from '../shared/main.js';
import { createApp } from './app.js';

const instances = await startInstances();
const port = Number(process.env.PORT ?? 3000);
const server = serve({ fetch: createApp(instances.backends).fetch, port, hostname: '127.0.0.1' }, () =>
  console.log(`Hono BFF on http://127.0.0.1:${port} over ${instances.backends.map((b) => `${b.id}=${b.url}`).join(', ')}`),
);
closeOnSignal(async () => {
  server.close();
  await instances.close();
});
