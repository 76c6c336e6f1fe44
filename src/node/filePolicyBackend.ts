import { parseOptions, positiveNumber, v } from '../_internal/validate.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import { EMPTY_POLICY_STATE, type PolicyBackend, type PolicyState, type ReplicaStatus } from '../routing/policy/backend.js';

/** Options of {@link filePolicyBackend}. */
export interface FilePolicyBackendOptions {
  /** The JSON file that holds every version; `<path>.replicas.json` holds the fleet view. */
  path: string;
  /**
   * How long a writer waits for the lock another writer holds before giving up; a lock older than
   * this is taken over (its writer died).
   * @default 5000
   */
  lockTimeoutMs?: number;
}

const schema = v.object({ path: v.custom<string>((value) => typeof value === 'string' && value.length > 0, { message: 'a non-empty string' }), lockTimeoutMs: positiveNumber.optional() });

type Fs = typeof import('node:fs/promises');

async function loadFs(): Promise<Fs> {
  try {
    return await import('node:fs/promises');
  } catch (cause) {
    throw new SwitchyardError('INVALID_CONFIG', 'The file policy backend needs a runtime with `node:fs` (Node, Bun, Deno)', { cause });
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A {@link PolicyBackend} in a JSON file, for one machine or a shared volume: versions and the
 * active pointer survive restarts.
 *
 * Every write goes to a temporary file that is renamed over the old one, so a crash mid-write
 * leaves the previous state whole, never half a file. Writers take a lock file (`<path>.lock`,
 * created exclusively) around compare-and-set, so two processes activating at once cannot lose a
 * version. There is no change notification: stores on it find new versions by their interval check.
 * Needs `node:fs` (Node, Bun, Deno), loaded when first used.
 *
 * @example
 * ```ts
 * import { createPolicyStore } from 'switchyard/routing';
 * import { filePolicyBackend } from 'switchyard/node';
 * const policies = createPolicyStore({ store: filePolicyBackend({ path: './routing-policy.json' }) });
 * ```
 */
export function filePolicyBackend(options: FilePolicyBackendOptions): PolicyBackend {
  const parsed = parseOptions(schema, options);
  const path = parsed.path;
  const lockTimeoutMs = parsed.lockTimeoutMs ?? 5_000;
  const replicasPath = `${path}.replicas.json`;
  let counter = 0;

  async function readJson<T>(fs: Fs, file: string, empty: T): Promise<T> {
    try {
      return JSON.parse(await fs.readFile(file, 'utf8')) as T;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return empty;
      throw new SwitchyardError('UPSTREAM_ERROR', `The policy file could not be read (${(error as { code?: string }).code ?? 'invalid JSON'})`, {
        cause: error,
      });
    }
  }

  async function writeAtomically(fs: Fs, file: string, value: unknown): Promise<void> {
    const temporary = `${file}.${Date.now()}.${Math.random().toString(36).slice(2)}.${++counter}.tmp`;
    try {
      await fs.writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, { flag: 'wx' });
      await fs.rename(temporary, file);
    } catch (error) {
      await fs.rm(temporary, { force: true });
      throw error;
    }
  }

  async function locked<T>(body: (fs: Fs) => Promise<T>): Promise<T> {
    const fs = await loadFs();
    const lock = `${path}.lock`;
    const started = Date.now();
    for (;;) {
      try {
        const handle = await fs.open(lock, 'wx');
        await handle.close();
        break;
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
        const stat = await fs.stat(lock).catch(() => undefined);
        if (stat !== undefined && Date.now() - stat.mtimeMs > lockTimeoutMs) {
          await fs.rm(lock, { force: true });
          continue;
        }
        if (Date.now() - started > lockTimeoutMs) {
          throw new SwitchyardError('UPSTREAM_ERROR', `The policy file is locked by another writer (${lock})`);
        }
        await delay(5 + Math.random() * 20);
      }
    }
    try {
      return await body(fs);
    } finally {
      await fs.rm(lock, { force: true });
    }
  }

  return {
    async read() {
      return readJson<PolicyState>(await loadFs(), path, EMPTY_POLICY_STATE);
    },
    write(revision, next) {
      return locked(async (fs) => {
        const current = await readJson<PolicyState>(fs, path, EMPTY_POLICY_STATE);
        if (current.revision !== revision) return false;
        await writeAtomically(fs, path, { ...next, revision: revision + 1 });
        return true;
      });
    },
    report(status) {
      return locked(async (fs) => {
        const all = await readJson<Record<string, ReplicaStatus>>(fs, replicasPath, {});
        all[status.replica] = status;
        await writeAtomically(fs, replicasPath, all);
      });
    },
    async replicas() {
      return Object.values(await readJson<Record<string, ReplicaStatus>>(await loadFs(), replicasPath, {}));
    },
    forget(replica, seenAt) {
      return locked(async (fs) => {
        const all = await readJson<Record<string, ReplicaStatus>>(fs, replicasPath, {});
        const last = all[replica];
        if (last === undefined || (seenAt !== undefined && last.seenAt > seenAt)) return;
        delete all[replica];
        await writeAtomically(fs, replicasPath, all);
      });
    },
  };
}
