/**
 * Scale-out over Redis: a shared store for dedup and breakers, and a policy backend.
 *
 * @module switchyard/redis
 */
export { redisStore, REDIS_STORE_DEFAULTS, type RedisStore, type RedisStoreOptions } from './redisStore.js';
export { redisPolicyBackend, type RedisPolicyBackend, type RedisPolicyBackendOptions } from './redisPolicyBackend.js';
