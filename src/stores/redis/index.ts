export { redisStore, REDIS_STORE_DEFAULTS, type RedisStore, type RedisStoreOptions } from './redisStore.js';
