import { describe, expect, it } from 'vitest';
import { memoryDirectory } from '../../../src/routing/federation/memoryDirectory.js';
import { directoryConformance, type DirectoryHarness } from './directory.cases.js';

directoryConformance('memoryDirectory', async () => {
  const directory = memoryDirectory();
  const harness: DirectoryHarness = {
    directory,
    setNode: async (node) => directory.setNode(node),
    removeNode: async (id) => directory.removeNode(id),
    setTenant: async (placement) => directory.setTenant(placement),
    removeTenant: async (id) => directory.removeTenant(id),
  };
  return harness;
});

describe('memoryDirectory', () => {
  it('rejects a malformed node with a message naming the field', () => {
    const directory = memoryDirectory();
    expect(() => directory.setNode({ id: 'a', region: 'eu', status: 'gone' as never, priority: 0 })).toThrow(
      "Expected `node.status` to be 'active', 'draining' or 'down', got \"gone\"",
    );
    expect(() => memoryDirectory({ tenants: [{ tenantId: 't', primaryNodeId: 'a', primaryRegion: 'eu', rules: [{ region: 'eu', nodeId: 'a', primary: true, weight: -1 }] }] })).toThrow(
      'Expected `memoryDirectory.tenants.0.rules.0.weight` to be an integer >= 0, got -1',
    );
  });

  it('hands out frozen copies, so a caller cannot change what others see', () => {
    const placement = { tenantId: 't', primaryNodeId: 'a', primaryRegion: 'eu', rules: [{ region: 'eu', nodeId: 'a', primary: true, weight: 1 }] };
    const directory = memoryDirectory({ tenants: [placement] });
    placement.primaryNodeId = 'evil';
    const found = directory.tenant('t');
    expect(found?.primaryNodeId).toBe('a');
    expect(Object.isFrozen(found)).toBe(true);
    expect(Object.isFrozen(found?.rules[0])).toBe(true);
  });
});
