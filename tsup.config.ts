import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    http: 'src/http/index.ts',
    routing: 'src/routing/index.ts',
    redis: 'src/stores/redis/index.ts',
    postgres: 'src/postgres/index.ts',
    testing: 'src/testing/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  treeshake: true,
  // p-limit and @noble/hashes ship ESM only; bundling them keeps `require('switchyard')` working on every
  // Node >= 20 without require(esm). See docs/decisions/0002 and 0005.
  noExternal: ['p-limit', 'yocto-queue', '@noble/hashes'],
});
