import { describe, expect, it } from 'vitest';
import { memoryDirectory } from '../../../src/routing/federation/memoryDirectory.js';
import { nodeClients } from '../../../src/routing/federation/nodeClients.js';
import type { FederationNode } from '../../../src/routing/federation/types.js';

const node = (id: string, extra: Partial<FederationNode> = {}): FederationNode => ({
  id,
  region: 'eu',
  status: 'active',
  priority: 0,
  databaseUrl: `postgres://app:pw-${id}@${id}.internal/app`,
  ...extra,
});

const settle = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const directory = memoryDirectory({ nodes: [node('a'), node('b')] });
  const created: string[] = [];
  const disposed: string[] = [];
  const clients = nodeClients({
    directory,
    create: (n) => {
      created.push(`${n.id} ${n.databaseUrl}`);
      return { node: n.id, url: n.databaseUrl };
    },
    dispose: (client) => {
      disposed.push(client.node);
    },
  });
  return { directory, clients, created, disposed };
}

describe('nodeClients', () => {
  it('creates one client per node on first use and reuses it', async () => {
    const { clients, created } = setup();
    const first = await clients.get('a');
    expect(await clients.get({ id: 'a' })).toBe(first);
    await clients.get('b');
    expect(created).toHaveLength(2);
    await clients.close();
  });

  it('disposes the client of a node removed from the directory', async () => {
    const { directory, clients, disposed } = setup();
    await clients.get('a');
    await clients.get('b');
    directory.removeNode('b');
    await settle();
    expect(disposed).toEqual(['b']);
    expect(clients.keys()).toEqual(['a']);
    await expect(clients.get('b')).rejects.toMatchObject({ code: 'TENANT_UNAVAILABLE', message: 'The node is not available' });
    await clients.close();
    expect(disposed).toEqual(['b', 'a']);
  });

  it('disposes a client whose node went down or changed its database URL, and builds a new one on the new URL', async () => {
    const { directory, clients, created, disposed } = setup();
    await clients.get('a');
    await clients.get('b');
    directory.setNode(node('a', { status: 'down' }));
    directory.setNode(node('b', { databaseUrl: 'postgres://app:new@b2.internal/app' }));
    directory.setNode(node('b', { databaseUrl: 'postgres://app:new@b2.internal/app' }));
    await settle();
    expect(disposed.sort()).toEqual(['a', 'b']);
    expect((await clients.get('b')).url).toBe('postgres://app:new@b2.internal/app');
    expect(created.at(-1)).toBe('b postgres://app:new@b2.internal/app');
    await expect(clients.get('a')).rejects.toMatchObject({ code: 'TENANT_UNAVAILABLE' });
    await clients.close();
  });

  it('keeps the client when only other fields of its node change', async () => {
    const { directory, clients, disposed } = setup();
    const before = await clients.get('a');
    directory.setNode(node('a', { priority: 9, meta: { rack: 2 } }));
    await settle();
    expect(disposed).toEqual([]);
    expect(await clients.get('a')).toBe(before);
    await clients.close();
  });

  it('reports a failing create by node id, with credentials masked', async () => {
    const directory = memoryDirectory({ nodes: [node('a')] });
    const clients = nodeClients({
      directory,
      create: (n) => {
        throw new Error(`connect failed for ${n.databaseUrl}`);
      },
    });
    const error = (await clients.get('a').catch((e: unknown) => e)) as Error & { cause: Error };
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', message: 'Creating the client for "a" failed' });
    expect(error.cause.message).toBe('connect failed for postgres://***@a.internal/app');
    await clients.close();
  });
});
