import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

// The Node build of switchyard/http sends through undici (see tsup.config.ts); tests run the same
// way unless SWITCHYARD_TRANSPORT=fetch asks for the transport of the other runtimes.
const nodeTransport = process.env.SWITCHYARD_TRANSPORT !== 'fetch';

export default defineConfig({
  resolve: {
    // Examples import the package by name, as users do; tests run them against the source.
    alias: [
      { find: /^switchyard$/, replacement: src('index.ts') },
      { find: /^switchyard\/http$/, replacement: src('http/index.ts') },
      { find: /^switchyard\/http\/undici$/, replacement: src('http/undici.ts') },
      { find: /^switchyard\/routing$/, replacement: src('routing/index.ts') },
      { find: /^switchyard\/redis$/, replacement: src('stores/redis/index.ts') },
      { find: /^switchyard\/otel$/, replacement: src('otel/index.ts') },
      { find: /^switchyard\/postgres$/, replacement: src('postgres/index.ts') },
      { find: /^switchyard\/node$/, replacement: src('node/index.ts') },
      { find: /^switchyard\/testing$/, replacement: src('testing/index.ts') },
      ...(nodeTransport ? [{ find: /^\.\/transport\/default\.js$/, replacement: src('http/transport/default.node.ts') }] : []),
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    typecheck: {
      enabled: true,
      include: ['test/types/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
