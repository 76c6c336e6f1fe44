/**
 * Starts the TanStack Start app on Vite's dev server, over `backends`. The app reads its backends
 * from `GROUP_BACKENDS`, as a deployed BFF reads them from its environment.
 */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import type { Backend } from '../shared/credentials.js';

export async function serveApp(backends: readonly Backend[], port = 0): Promise<{ url: string; close(): Promise<void> }> {
  process.env.GROUP_BACKENDS = JSON.stringify(backends);
  const server = await createServer({
    configFile: fileURLToPath(new URL('./vite.config.ts', import.meta.url)),
    logLevel: 'warn',
    server: { host: '127.0.0.1', port, strictPort: port !== 0 },
  });
  await server.listen();
  const { port: actual } = server.httpServer!.address() as AddressInfo;
  return { url: `http://127.0.0.1:${actual}`, close: () => server.close() };
}
