import { createRequire } from 'node:module';
import type { Cluster, Redis } from 'ioredis';
import { SwitchyardError } from '../../errors/SwitchyardError.js';

/**
 * Loads ioredis synchronously, so that `redisStore({ url })` pays its load time when it is created
 * (at startup) and not inside the first call, where it blocks the event loop past every timeout.
 * ioredis is CommonJS, so `require` loads it from both builds (tsup fills in `import.meta.url` for CJS).
 */
export function loadIoredis(): { Redis: typeof Redis; Cluster: typeof Cluster } {
  const load = createRequire(import.meta.url);
  let loaded: { Redis?: typeof Redis; Cluster?: typeof Cluster };
  try {
    loaded = load('ioredis') as { Redis?: typeof Redis; Cluster?: typeof Cluster };
  } catch (cause) {
    throw new SwitchyardError(
      'INVALID_CONFIG',
      'Expected the `ioredis` package to be installed for `redisStore({ url })` and `redisStore({ cluster })`: run `npm install ioredis`',
      { cause },
    );
  }
  if (typeof loaded.Redis !== 'function' || typeof loaded.Cluster !== 'function') {
    throw new SwitchyardError('INVALID_CONFIG', 'Expected `ioredis` version 5 or later for `redisStore({ url })`: run `npm install ioredis@5`');
  }
  return { Redis: loaded.Redis, Cluster: loaded.Cluster };
}
