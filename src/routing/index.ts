export * from './path/index.js';
