/**
 * Starts a real `redis-server` for a test: an ephemeral port on 127.0.0.1, a fresh temp dir, no
 * persistence. Tests start and stop it themselves; `findRedisServer` finds (or installs) the binary.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect } from 'vitest';
import { leftoverResources, leftoverResourcesSettled } from '../_support/resources.js';
import { startRedisServer, type RedisServer } from './redisProcess.js';

export { leftoverResources, startRedisServer, type RedisServer };

/**
 * Starts a redis-server and a fail-fast client for one test file (beforeAll), and stops both and
 * checks that nothing the file opened is left behind (afterAll). Read `server`/`client` in tests.
 */
export function useRedisServer(): { readonly server: RedisServer; readonly client: Redis } {
  const state: { server?: RedisServer; client?: Redis } = {};
  let before: string[] = [];
  beforeAll(async () => {
    before = process.getActiveResourcesInfo();
    state.server = await startRedisServer();
    state.client = new Redis(state.server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
    // Connection errors while the server is stopped surface through commands; keep the log clean.
    state.client.on('error', () => {});
    await state.client.connect();
    // A fresh machine may first install redis-server with apt-get (see findRedisServer).
  }, 600_000);
  afterAll(async () => {
    await state.client?.quit();
    await state.server?.dispose();
    expect(await leftoverResourcesSettled(before)).toEqual([]);
  });
  return {
    get server() {
      return state.server!;
    },
    get client() {
      return state.client!;
    },
  };
}
