/**
 * Runs the tRPC example: three tRPC instances and the tRPC BFF on 127.0.0.1.
 *
 *   npx tsx examples/trpc/server.ts
 *   curl -H 'x-user: ada' 'http://127.0.0.1:3000/groups.search?input=%7B%22q%22%3A%22eng%22%7D'
 */
import { closeOnSignal, startInstances } from '../shared/main.js';
import { startBff } from './bff.js';
import { startTrpcInstance } from './instance.js';

const instances = await startInstances(startTrpcInstance);
const bff = await startBff(instances.backends, Number(process.env.PORT ?? 3000));
console.log(`tRPC BFF on ${bff.url} over ${instances.backends.map((b) => `${b.id}=${b.url}`).join(', ')}`);
closeOnSignal(async () => {
  await bff.close();
  await instances.close();
});
