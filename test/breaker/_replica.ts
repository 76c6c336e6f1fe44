/**
 * Another BFF replica, run as its own process by test/integration/breaker-redis.test.ts: it opens
 * the breaker of one instance through calls that fail, waits until Redis holds the record, prints
 * the open duration and exits.
 */
import { Redis } from 'ioredis';
import { createBreakers, type Permit } from '../../src/breaker/index.js';
import { redisStore } from '../../src/stores/redis/index.js';

const [url, prefix, instanceId] = process.argv.slice(2) as [string, string, string];
const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
await client.connect();
const store = redisStore({ client, prefix });
let openMs = 0;
const breakers = createBreakers({
  store,
  policy: { kind: 'consecutive', threshold: 3 },
  openMs: 5_000,
  maxEjectedPercent: 100,
  on: { stateChange: (s) => (s.to === 'open' ? (openMs = s.openMs ?? 0) : undefined) },
});
for (let i = 0; i < 3; i += 1) (breakers.admit([{ id: instanceId }], 'orders').get(instanceId) as Permit).failure();
for (let i = 0; i < 100 && (await store.get(`switchyard:breaker:${instanceId}`)) === undefined; i += 1) {
  await new Promise((resolve) => setTimeout(resolve, 10));
}
process.stdout.write(JSON.stringify({ state: breakers.state(instanceId), openMs }));
await client.quit();
