import { callEach } from '../../_internal/callHook.js';
import { parseOptions, v } from '../../_internal/validate.js';
import { nodeSchema, placementSchema } from './schema.js';
import type { DirectoryChange, FederationDirectory, FederationNode, TenantPlacement } from './types.js';

/** Options of {@link memoryDirectory}: the nodes and tenants it starts with. */
export interface MemoryDirectoryOptions {
  /** @default [] */
  nodes?: readonly FederationNode[];
  /** @default [] */
  tenants?: readonly TenantPlacement[];
}

/** A {@link FederationDirectory} in memory, changed through its methods (each tells watchers). */
export interface MemoryDirectory extends FederationDirectory {
  tenant(tenantId: string): TenantPlacement | undefined;
  node(nodeId: string): FederationNode | undefined;
  watch(listener: (change: DirectoryChange) => void): () => void;
  /** Adds or replaces a node. */
  setNode(node: FederationNode): void;
  removeNode(nodeId: string): void;
  /** Adds or replaces a tenant's placement. */
  setTenant(placement: TenantPlacement): void;
  removeTenant(tenantId: string): void;
}

const optionsSchema = v.object({ nodes: v.array(nodeSchema).optional(), tenants: v.array(placementSchema).optional() });

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function freeze<T>(value: T): T {
  return deepFreeze(structuredClone(value));
}

/**
 * Creates a federation directory held in memory: for tests, single-process apps and static
 * setups. It answers synchronously, validates what it is given, and hands out frozen copies, so a
 * caller can never change another caller's view of a tenant.
 *
 * @example
 * ```ts
 * import { federationRouter, memoryDirectory, tenantFrom } from 'switchyard/routing';
 * const directory = memoryDirectory({
 *   nodes: [{ id: 'eu-1', region: 'eu', status: 'active', priority: 0, url: 'http://eu-1.internal' }],
 *   tenants: [{ tenantId: 'acme', primaryNodeId: 'eu-1', primaryRegion: 'eu', rules: [] }],
 * });
 * const router = federationRouter({ directory, tenant: tenantFrom() });
 * ```
 */
export function memoryDirectory(options: MemoryDirectoryOptions = {}): MemoryDirectory {
  parseOptions(optionsSchema, options, 'memoryDirectory');
  const nodes = new Map<string, FederationNode>();
  const tenants = new Map<string, TenantPlacement>();
  const listeners = new Set<(change: DirectoryChange) => void>();
  for (const node of options.nodes ?? []) nodes.set(node.id, freeze(node));
  for (const placement of options.tenants ?? []) tenants.set(placement.tenantId, freeze(placement));

  const emit = (change: DirectoryChange) => callEach(listeners, change);

  return {
    tenant: (tenantId) => tenants.get(tenantId),
    node: (nodeId) => nodes.get(nodeId),
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    setNode(node) {
      parseOptions(nodeSchema, node, 'node');
      nodes.set(node.id, freeze(node));
      emit({ type: 'node', id: node.id });
    },
    removeNode(nodeId) {
      if (nodes.delete(nodeId)) emit({ type: 'node', id: nodeId });
    },
    setTenant(placement) {
      parseOptions(placementSchema, placement, 'placement');
      tenants.set(placement.tenantId, freeze(placement));
      emit({ type: 'tenant', id: placement.tenantId });
    },
    removeTenant(tenantId) {
      if (tenants.delete(tenantId)) emit({ type: 'tenant', id: tenantId });
    },
  };
}

