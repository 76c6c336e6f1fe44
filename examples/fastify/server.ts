/**
 * Runs the Fastify example against three local instances:
 *
 *   npx tsx examples/fastify/server.ts
 *   curl -H 'x-user: ada' 'http://127.0.0.1:3000/groups?q=eng'
 */
import { closeOnSignal, startInstances } from '../shared/main.js';
import { createApp } from './app.js';

const instances = await startInstances();
const app = createApp(instances.backends);
const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`Fastify BFF on ${address} over ${instances.backends.map((b) => `${b.id}=${b.url}`).join(', ')}`);
closeOnSignal(async () => {
  await app.close();
  await instances.close();
});
