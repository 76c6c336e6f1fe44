import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

const shared: Options = {
  format: ['esm', 'cjs'],
  sourcemap: true,
  target: 'es2022',
  treeshake: true,
  // p-limit and @noble/hashes ship ESM only; bundling them keeps `require('switchyard')` working on every
  // Node >= 20 without require(esm). See docs/decisions/0002 and 0005.
  noExternal: ['p-limit', 'yocto-queue', '@noble/hashes'],
};

const nodeDefaultTransport = fileURLToPath(new URL('./src/http/transport/default.node.ts', import.meta.url));

export default defineConfig([
  {
    ...shared,
    entry: {
      index: 'src/index.ts',
      http: 'src/http/index.ts',
      'http-undici': 'src/http/undici.ts',
      routing: 'src/routing/index.ts',
      redis: 'src/stores/redis/index.ts',
      testing: 'src/testing/index.ts',
    },
    dts: true,
    // The Node build below writes http.node.* into the same folder.
    clean: ['!http.node.*'],
  },
  {
    // `switchyard/http` for the `node` export condition: the same code, with undici as the
    // default transport instead of fetch. Its types are the default build's.
    ...shared,
    entry: { 'http.node': 'src/http/index.ts' },
    dts: false,
    clean: false,
    esbuildPlugins: [
      {
        name: 'node-default-transport',
        setup(build) {
          build.onResolve({ filter: /^\.\/transport\/default\.js$/ }, () => ({ path: nodeDefaultTransport }));
        },
      },
    ],
  },
]);
