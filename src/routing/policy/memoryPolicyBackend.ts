import { EMPTY_POLICY_STATE, type PolicyBackend, type PolicyState, type ReplicaStatus } from './backend.js';

/**
 * A {@link PolicyBackend} in memory: versions live as long as the process. Several policy stores
 * created on the same backend (replicas in one process, tests) see each other's writes at once.
 *
 * @example
 * ```ts
 * import { createPolicyStore, memoryPolicyBackend } from 'switchyard/routing';
 * const policies = createPolicyStore({ store: memoryPolicyBackend() });
 * ```
 */
export function memoryPolicyBackend(): PolicyBackend {
  let state: PolicyState = EMPTY_POLICY_STATE;
  const listeners = new Set<() => void>();
  const replicas = new Map<string, ReplicaStatus>();
  return {
    async read() {
      return state;
    },
    async write(revision, next) {
      if (revision !== state.revision) return false;
      state = { ...next, revision: revision + 1 };
      for (const listener of [...listeners]) queueMicrotask(listener);
      return true;
    },
    watch(onChange) {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    async report(status) {
      replicas.set(status.replica, status);
    },
    async replicas() {
      return [...replicas.values()];
    },
    async forget(replica, seenAt) {
      const last = replicas.get(replica);
      if (last !== undefined && (seenAt === undefined || last.seenAt <= seenAt)) replicas.delete(replica);
    },
  };
}
