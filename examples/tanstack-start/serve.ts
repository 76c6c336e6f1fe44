/**
 * Starts the TanStack Start app on Vite's dev server, over `backends`. The app reads its backends
 * (and optional timeouts) from its environment, as a deployed BFF does.
 */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createServer, isRunnableDevEnvironment } from 'vite';
import type { Backend } from '../shared/credentials.js';

export interface RunningApp {
  readonly url: string;
  /** The path a browser calls a server function at (what the client-side `getGroup()` fetches). */
  functionPath(name: 'searchGroups' | 'getGroup'): Promise<string>;
  close(): Promise<void>;
}

/** The fan-out's attempt timeout and deadline, in ms; the app's defaults (2 s, 5 s) when unset. */
export interface AppTimeouts {
  timeoutMs?: number;
  deadlineMs?: number;
}

export async function serveApp(backends: readonly Backend[], port = 0, timeouts: AppTimeouts = {}): Promise<RunningApp> {
  process.env.GROUP_BACKENDS = JSON.stringify(backends);
  if (timeouts.timeoutMs === undefined) delete process.env.GROUP_TIMEOUT_MS;
  else process.env.GROUP_TIMEOUT_MS = String(timeouts.timeoutMs);
  if (timeouts.deadlineMs === undefined) delete process.env.GROUP_DEADLINE_MS;
  else process.env.GROUP_DEADLINE_MS = String(timeouts.deadlineMs);
  const server = await createServer({
    configFile: fileURLToPath(new URL('./vite.config.ts', import.meta.url)),
    logLevel: 'warn',
    server: { host: '127.0.0.1', port, strictPort: port !== 0 },
  });
  await server.listen();
  const { port: actual } = server.httpServer!.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}`,
    async functionPath(name) {
      const ssr = server.environments.ssr;
      if (ssr === undefined || !isRunnableDevEnvironment(ssr)) throw new Error('Vite has no runnable ssr environment');
      const functions = (await ssr.runner.import('/src/groups.functions.ts')) as Record<string, { url: string }>;
      return functions[name]!.url;
    },
    close: () => server.close(),
  };
}
