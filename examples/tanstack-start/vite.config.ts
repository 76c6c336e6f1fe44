import { fileURLToPath } from 'node:url';
import { tanstackStart } from '@tanstack/react-start/plugin/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // `switchyard` and its subpaths resolve through the repository's tsconfig paths, to the source.
  resolve: { tsconfigPaths: true },
  plugins: [tanstackStart()],
});
