export { parsePolicy, type ParsePolicyOptions } from './parsePolicy.js';
export type { Policy, PolicyDocument, PolicyHash, PolicyRange, PolicyShard } from './types.js';
