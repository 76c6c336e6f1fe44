/**
 * Runs the TanStack Start example against three local instances:
 *
 *   npx tsx examples/tanstack-start/server.ts
 *   curl -H 'x-user: ada' 'http://127.0.0.1:3000/groups?q=eng'
 */
import { closeOnSignal, startInstances } from '../shared/main.js';
import { serveApp } from './serve.js';

const instances = await startInstances();
const app = await serveApp(instances.backends, Number(process.env.PORT ?? 3000));
console.log(`TanStack Start BFF on ${app.url} over ${instances.backends.map((b) => `${b.id}=${b.url}`).join(', ')}`);
closeOnSignal(async () => {
  await app.close();
  await instances.close();
});
