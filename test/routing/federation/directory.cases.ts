/**
 * The one conformance suite every `FederationDirectory` passes, with `federationRouter` on top:
 * memory runs it in test/routing/federation/memoryDirectory.test.ts, PostgreSQL in
 * test/integration/postgres-directory.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { federationRouter, type FederationRouteState, type FederationRouterOptions } from '../../../src/routing/federation/federationRouter.js';
import { tenantFrom, regionFrom } from '../../../src/routing/federation/extract.js';
import type { DirectoryChange, FederationDirectory, FederationNode, TenantPlacement } from '../../../src/routing/federation/types.js';
import type { Instance } from '../../../src/router/types.js';

export interface DirectoryHarness {
  directory: FederationDirectory;
  /** Each write resolves once the directory answers with the change. */
  setNode(node: FederationNode): Promise<void>;
  removeNode(nodeId: string): Promise<void>;
  setTenant(placement: TenantPlacement): Promise<void>;
  removeTenant(tenantId: string): Promise<void>;
}

const node = (id: string, region: string, extra: Partial<FederationNode> = {}): FederationNode => ({
  id,
  region,
  status: 'active',
  priority: 0,
  url: `http://${id}.nodes.internal:8080`,
  databaseUrl: `postgres://app:secret-${id}@${id}.db.internal/app`,
  ...extra,
});

/** Waits until `check` passes: a directory fed by notifications converges shortly after a write. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function route(options: Omit<FederationRouterOptions, 'tenant'>, tenant: string, region?: string): Promise<readonly Instance[]> {
  const router = federationRouter({ ...options, tenant: tenantFrom(), region: regionFrom() });
  const headers: Record<string, string> = { 'x-tenant-id': tenant };
  if (region !== undefined) headers['x-region'] = region;
  const request = new Request('http://bff.local/orders', { headers });
  return Promise.resolve(router.route({ operation: 'orders', data: request, context: {}, signal: new AbortController().signal }));
}

/** Registers the conformance cases; `create` gives a fresh, empty directory per test (unique ids keep tests apart). */
export function directoryConformance(name: string, create: () => Promise<DirectoryHarness>): void {
  let run = 0;
  const ids = () => {
    run += 1;
    const p = `${name.replace(/\W/g, '')}${run}`;
    return { a: `${p}-a`, b: `${p}-b`, c: `${p}-c`, d: `${p}-d`, t: `${p}-tenant`, u: `${p}-other` };
  };

  describe(`${name} conformance`, () => {
    it('answers undefined for a tenant and a node it does not hold', async () => {
      const { directory } = await create();
      const { t, a } = ids();
      expect(await directory.tenant(t)).toBeUndefined();
      expect(await directory.node(a)).toBeUndefined();
    });

    it('returns a tenant placement and its rules as they were written', async () => {
      const h = await create();
      const { a, b, t } = ids();
      await h.setNode(node(a, 'eu'));
      await h.setNode(node(b, 'us', { priority: 3, status: 'draining', meta: { rack: 7 } }));
      const placement: TenantPlacement = {
        tenantId: t,
        primaryNodeId: a,
        primaryRegion: 'eu',
        rules: [
          { region: 'eu', nodeId: a, primary: true, weight: 100 },
          { region: 'us', nodeId: b, primary: false, weight: 40 },
        ],
        meta: { plan: 'gold' },
      };
      await h.setTenant(placement);
      const found = await h.directory.tenant(t);
      expect(found).toMatchObject({ tenantId: t, primaryNodeId: a, primaryRegion: 'eu', meta: { plan: 'gold' } });
      expect([...(found?.rules ?? [])].sort((x, y) => x.region.localeCompare(y.region))).toEqual(placement.rules);
      expect(await h.directory.node(b)).toMatchObject({ id: b, region: 'us', status: 'draining', priority: 3, meta: { rack: 7 } });
    });

    it('routes a tenant to its primary node, without the database URL in the instance', async () => {
      const h = await create();
      const { a, t } = ids();
      await h.setNode(node(a, 'eu'));
      await h.setTenant({ tenantId: t, primaryNodeId: a, primaryRegion: 'eu', rules: [] });
      const [instance, ...rest] = await route({ directory: h.directory }, t);
      expect(rest).toEqual([]);
      expect(instance).toEqual({ id: a, region: 'eu', url: `http://${a}.nodes.internal:8080`, meta: { tenant: t, role: 'primary', fallback: false } });
      expect(JSON.stringify(instance)).not.toContain('secret');
    });

    it('uses the rules of the asked region, and the home region for a region without rules', async () => {
      const h = await create();
      const { a, b, t } = ids();
      await h.setNode(node(a, 'eu'));
      await h.setNode(node(b, 'us'));
      await h.setTenant({
        tenantId: t,
        primaryNodeId: a,
        primaryRegion: 'eu',
        rules: [
          { region: 'eu', nodeId: a, primary: true, weight: 100 },
          { region: 'us', nodeId: b, primary: true, weight: 100 },
        ],
      });
      expect((await route({ directory: h.directory }, t, 'us'))[0]?.id).toBe(b);
      expect((await route({ directory: h.directory }, t, 'ap'))[0]?.id).toBe(a);
      expect((await route({ directory: h.directory }, t))[0]?.id).toBe(a);
    });

    it('fails over to a secondary when the primary is down or its breaker is open, and says so', async () => {
      const h = await create();
      const { a, b, t } = ids();
      await h.setNode(node(a, 'eu'));
      await h.setNode(node(b, 'eu'));
      await h.setTenant({
        tenantId: t,
        primaryNodeId: a,
        primaryRegion: 'eu',
        rules: [
          { region: 'eu', nodeId: a, primary: true, weight: 100 },
          { region: 'eu', nodeId: b, primary: false, weight: 100 },
        ],
      });
      const failovers: FederationRouteState[] = [];
      const open = new Set([a]);
      const viaBreaker = await route({ directory: h.directory, isAvailable: (id) => !open.has(id), on: { failover: (s) => failovers.push(s) } }, t);
      expect(viaBreaker[0]).toMatchObject({ id: b, meta: { role: 'secondary', fallback: false } });
      await h.setNode(node(a, 'eu', { status: 'down' }));
      const viaStatus = await route({ directory: h.directory, on: { failover: (s) => failovers.push(s) } }, t);
      expect(viaStatus[0]?.id).toBe(b);
      expect(failovers.map((s) => [s.tenant, s.nodeId, s.role])).toEqual([
        [t, b, 'secondary'],
        [t, b, 'secondary'],
      ]);
    });

    it('refuses a tenant whose nodes are all down with TENANT_UNAVAILABLE, never using the default node', async () => {
      const h = await create();
      const { a, b, c, t } = ids();
      await h.setNode(node(a, 'eu', { status: 'down' }));
      await h.setNode(node(b, 'eu', { status: 'down' }));
      await h.setNode(node(c, 'eu'));
      await h.setTenant({
        tenantId: t,
        primaryNodeId: a,
        primaryRegion: 'eu',
        rules: [{ region: 'eu', nodeId: b, primary: false, weight: 100 }],
      });
      const fallbacks: FederationRouteState[] = [];
      await expect(route({ directory: h.directory, fallback: { nodeId: c }, on: { fallback: (s) => fallbacks.push(s) } }, t)).rejects.toMatchObject({
        code: 'TENANT_UNAVAILABLE',
        instances: [],
      });
      expect(fallbacks).toEqual([]);
    });

    it('uses a draining node only when no active one is left, and never a weight-0 one', async () => {
      const h = await create();
      const { a, b, c, t } = ids();
      await h.setNode(node(a, 'eu', { status: 'draining' }));
      await h.setNode(node(b, 'eu'));
      await h.setNode(node(c, 'eu'));
      await h.setTenant({
        tenantId: t,
        primaryNodeId: a,
        primaryRegion: 'eu',
        rules: [
          { region: 'eu', nodeId: a, primary: true, weight: 100 },
          { region: 'eu', nodeId: b, primary: true, weight: 100 },
          { region: 'eu', nodeId: c, primary: true, weight: 0 },
        ],
      });
      for (const r of [0, 0.5, 0.999]) expect((await route({ directory: h.directory, random: () => r }, t))[0]?.id).toBe(b);
      await h.setNode(node(b, 'eu', { status: 'down' }));
      expect((await route({ directory: h.directory }, t))[0]?.id).toBe(a);
    });

    it('prefers the highest priority and splits the rest by weight', async () => {
      const h = await create();
      const { a, b, c, t } = ids();
      await h.setNode(node(a, 'eu', { priority: 1 }));
      await h.setNode(node(b, 'eu', { priority: 5 }));
      await h.setNode(node(c, 'eu', { priority: 5 }));
      await h.setTenant({
        tenantId: t,
        primaryNodeId: b,
        primaryRegion: 'eu',
        rules: [
          { region: 'eu', nodeId: a, primary: true, weight: 1000 },
          { region: 'eu', nodeId: b, primary: true, weight: 25 },
          { region: 'eu', nodeId: c, primary: true, weight: 75 },
        ],
      });
      const pick = async (r: number) => (await route({ directory: h.directory, random: () => r }, t))[0]?.id;
      // Rules come back sorted by region and node id, so b (25) precedes c (75) in every directory.
      expect(await pick(0)).toBe(b);
      expect(await pick(0.2)).toBe(b);
      expect(await pick(0.3)).toBe(c);
      expect(await pick(0.99)).toBe(c);
    });

    it('sends only unmapped tenants to the configured default node, flagged', async () => {
      const h = await create();
      const { a, c, t, u } = ids();
      await h.setNode(node(a, 'eu'));
      await h.setNode(node(c, 'eu'));
      await h.setTenant({ tenantId: t, primaryNodeId: a, primaryRegion: 'eu', rules: [] });
      const fallbacks: FederationRouteState[] = [];
      const options = { directory: h.directory, fallback: { nodeId: c }, on: { fallback: (s: FederationRouteState) => fallbacks.push(s) } };
      expect((await route(options, t))[0]).toMatchObject({ id: a, meta: { fallback: false } });
      const [unmapped] = await route(options, u);
      expect(unmapped).toMatchObject({ id: c, tags: ['fallback'], meta: { tenant: u, role: 'fallback', fallback: true } });
      expect(fallbacks).toEqual([{ tenant: u, region: undefined, nodeId: c, role: 'fallback' }]);
      await expect(route({ directory: h.directory }, u)).rejects.toMatchObject({ code: 'UNKNOWN_TENANT' });
    });

    it('sees a tenant removed and added again at once, though "unknown" is cached', async () => {
      const h = await create();
      const { a, t } = ids();
      await h.setNode(node(a, 'eu'));
      await expect(route({ directory: h.directory }, t)).rejects.toMatchObject({ code: 'UNKNOWN_TENANT' });
      await h.setTenant({ tenantId: t, primaryNodeId: a, primaryRegion: 'eu', rules: [] });
      expect((await route({ directory: h.directory }, t))[0]?.id).toBe(a);
      await h.removeTenant(t);
      await expect(route({ directory: h.directory }, t)).rejects.toMatchObject({ code: 'UNKNOWN_TENANT' });
    });

    it('follows a tenant moved to another node', async () => {
      const h = await create();
      const { a, b, t } = ids();
      await h.setNode(node(a, 'eu'));
      await h.setNode(node(b, 'eu'));
      await h.setTenant({ tenantId: t, primaryNodeId: a, primaryRegion: 'eu', rules: [] });
      expect((await route({ directory: h.directory }, t))[0]?.id).toBe(a);
      await h.setTenant({ tenantId: t, primaryNodeId: b, primaryRegion: 'eu', rules: [] });
      expect((await route({ directory: h.directory }, t))[0]?.id).toBe(b);
    });

    it('tells watchers which node changed', async () => {
      const h = await create();
      const { a } = ids();
      const changes: DirectoryChange[] = [];
      const stop = h.directory.watch?.((change) => changes.push(change));
      expect(stop).toBeTypeOf('function');
      await h.setNode(node(a, 'eu'));
      await h.setNode(node(a, 'eu', { status: 'down' }));
      await h.removeNode(a);
      await eventually(() => changes.filter((c) => c.type === 'node' && c.id === a).length >= 3);
      stop?.();
      expect(await h.directory.node(a)).toBeUndefined();
    });
  });
}
