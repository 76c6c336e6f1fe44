import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The Node build of switchyard/http sends through undici (see tsup.config.ts); tests run the same
// way unless SWITCHYARD_TRANSPORT=fetch asks for the transport of the other runtimes.
const nodeTransport = process.env.SWITCHYARD_TRANSPORT !== 'fetch';

export default defineConfig({
  resolve: {
    alias: nodeTransport
      ? [
          {
            find: /^\.\/transport\/default\.js$/,
            replacement: fileURLToPath(new URL('./src/http/transport/default.node.ts', import.meta.url)),
          },
        ]
      : [],
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
