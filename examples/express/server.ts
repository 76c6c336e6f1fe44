/**
 * Runs the Express example against three local instances:
 *
 *   npx tsx examples/express/server.ts
 *   curl -H 'x-user: ada' 'http://127.0.0.1:3000/groups?q=eng'
 */
import { closeOnSignal, startInstances } from '../shared/main.js';
import { createApp } from './app.js';

const instances = await startInstances();
const port = Number(process.env.PORT ?? 3000);
const server = createApp(instances.backends).listen(port, '127.0.0.1', () =>
  console.log(`Express BFF on http://127.0.0.1:${port} over ${instances.backends.map((b) => `${b.id}=${b.url}`).join(', ')}`),
);
closeOnSignal(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await instances.close();
});
