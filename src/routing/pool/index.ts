export { clientPool, type ClientPool, type ClientPoolOptions } from './clientPool.js';
