export { memoryStore, MEMORY_STORE_DEFAULTS, type MemoryStoreOptions } from './memoryStore.js';
