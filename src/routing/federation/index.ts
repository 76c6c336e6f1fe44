export { tenantFrom, regionFrom, MAX_EXTRACTED_LENGTH, type Extractor, type ExtractorOptions, type ExtractSource } from './extract.js';
export {
  federationRouter,
  type FederationRole,
  type FederationRouteState,
  type FederationRouterHooks,
  type FederationRouterOptions,
} from './federationRouter.js';
export { memoryDirectory, type MemoryDirectory, type MemoryDirectoryOptions } from './memoryDirectory.js';
export type {
  DirectoryChange,
  FederationDirectory,
  FederationNode,
  FederationRule,
  NodeStatus,
  TenantPlacement,
} from './types.js';
export { nodeClients, type NodeClients, type NodeClientsOptions } from './nodeClients.js';
