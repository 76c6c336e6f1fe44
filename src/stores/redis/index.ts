export { redisStore, REDIS_STORE_DEFAULTS, type RedisStore, type RedisStoreOptions } from './redisStore.js';
export { redisPolicyBackend, type RedisPolicyBackend, type RedisPolicyBackendOptions } from './redisPolicyBackend.js';
