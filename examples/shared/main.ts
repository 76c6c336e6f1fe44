/**
 * Starts the three example instances on ephemeral ports and returns them as the BFF's backends,
 * so each example runs on its own: `npx tsx examples/<framework>/server.ts`.
 */
import type { Backend } from './credentials.js';
import { SEEDS, startRestInstance, type InstanceSeed, type RunningInstance } from './world.js';

export async function startInstances(
  start: (seed: InstanceSeed) => Promise<RunningInstance> = startRestInstance,
): Promise<{ backends: Backend[]; close(): Promise<void> }> {
  const running = await Promise.all(SEEDS.map((seed) => start(seed)));
  return {
    backends: running.map((instance, index) => ({ id: instance.id, url: instance.url, secret: SEEDS[index]!.secret })),
    close: async () => {
      await Promise.all(running.map((instance) => instance.close()));
    },
  };
}

/** Closes everything on Ctrl-C. */
export function closeOnSignal(close: () => Promise<void>): void {
  process.once('SIGINT', () => void close().then(() => process.exit(0)));
}
