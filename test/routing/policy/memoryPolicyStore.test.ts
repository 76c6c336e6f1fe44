import { memoryPolicyBackend } from '../../../src/routing/index.js';
import { policyStoreCases } from './policyStore.cases.js';

policyStoreCases('memory', {
  create: async () => memoryPolicyBackend(),
  reopen: async (backend) => backend,
});
