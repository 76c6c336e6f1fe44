// The policy's shape belongs to the shard router that reads it; the policy store only versions it.
export type { Policy, PolicyDocument, PolicyHash, PolicyRange, PolicyShard } from '../shard/policyTypes.js';
