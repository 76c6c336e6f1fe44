export { parsePolicy, type ParsePolicyOptions } from './parsePolicy.js';
export type { Policy, PolicyDocument, PolicyHash, PolicyRange, PolicyShard } from './types.js';
export {
  EMPTY_POLICY_STATE,
  type PolicyActivation,
  type PolicyBackend,
  type PolicyRecord,
  type PolicyState,
  type ReplicaStatus,
} from './backend.js';
export { canonicalJson, policyChecksum } from './canonicalJson.js';
export {
  checkPolicy,
  diffPolicies,
  previewPolicy,
  type PolicyCheck,
  type PolicyCheckProblem,
  type PolicyDiff,
  type PolicyPreview,
} from './comparePolicies.js';
export {
  createPolicyStore,
  POLICY_STORE_DEFAULTS,
  type ActivateOptions,
  type ActivationResult,
  type ActivePolicy,
  type PolicyAppliedState,
  type PolicyRefusedState,
  type PolicyStore,
  type PolicyStoreHooks,
  type PolicyStoreOptions,
  type PolicySyncErrorState,
} from './createPolicyStore.js';
export { memoryPolicyBackend } from './memoryPolicyBackend.js';
