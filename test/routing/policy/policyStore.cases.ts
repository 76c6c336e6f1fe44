/**
 * The conformance suite every policy backend passes: memory, file and Redis run the same tests.
 */
import { afterAll, afterEach, beforeAll, expect, test, vi } from 'vitest';
import { leftoverResources } from '../../_support/resources.js';
import { isSwitchyardError } from '../../../src/errors/SwitchyardError.js';
import { createManualClock } from '../../../src/testing/manualClock.js';
import {
  createPolicyStore,
  parsePolicy,
  resolveShard,
  type PolicyBackend,
  type PolicyStore,
  type PolicyStoreOptions,
} from '../../../src/routing/index.js';

export interface BackendFactory {
  /** A fresh, empty backend for one test. */
  create(): Promise<PolicyBackend>;
  /** A second backend on the same storage, as another process (or a restart) would open it. */
  reopen(backend: PolicyBackend): Promise<PolicyBackend>;
}

export const v1 = {
  version: 1,
  shards: {
    s0: { instances: [{ url: 'https://s0.internal' }] },
    s1: { instances: [{ url: 'https://s1.internal' }] },
    s2: { instances: [{ url: 'https://s2.internal' }] },
  },
  tenants: { acme: 's0', globex: 's1', initech: 's2' },
  ranges: [{ prefix: 'user_', shard: 's0' }],
};

/** v1 plus a fourth shard taking part of the hashed keys: nothing stranded. */
export const v2 = { ...v1, shards: { ...v1.shards, s3: { instances: [{ url: 'https://s3.internal' }] } } };

/** Moves globex and removes s2 (which holds initech): a check must name both. */
export const stranding = {
  ...v1,
  shards: { s0: v1.shards.s0, s1: v1.shards.s1 },
  tenants: { acme: 's0', globex: 's0', initech: 's1' },
};

export const sampleKeys = Array.from({ length: 5_000 }, (_, i) => `order_${i}`);

export function policyStoreCases(name: string, factory: BackendFactory): void {
  const open: PolicyStore[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  async function store(backend: PolicyBackend, options: Partial<PolicyStoreOptions> = {}): Promise<PolicyStore> {
    const created = createPolicyStore({ store: backend, env: {}, syncIntervalMs: false, ...options });
    open.push(created);
    await created.sync();
    return created;
  }

  async function backend(): Promise<PolicyBackend> {
    const created = await factory.create();
    cleanups.push(async () => created.close?.());
    return created;
  }

  async function reopen(existing: PolicyBackend): Promise<PolicyBackend> {
    const created = await factory.reopen(existing);
    cleanups.push(async () => created.close?.());
    return created;
  }

  let before: string[] = [];
  beforeAll(() => {
    before = process.getActiveResourcesInfo();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    // Closed Redis clients finish their last timers asynchronously; on a busy machine this takes a moment.
    for (let waited = 0; waited < 3_000 && leftoverResources(before).length > 0; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(leftoverResources(before)).toEqual([]);
  });

  const routeAll = (s: PolicyStore) =>
    sampleKeys.map((key) => {
      const r = resolveShard(s.active()!.policy, { key });
      return r.ok ? r.shard : r.code;
    });

  test(`${name}: numbers versions and checksums them over canonical JSON`, async () => {
    const s = await store(await backend());
    const a = await s.propose(v1, { message: 'first' });
    const reordered = JSON.parse(JSON.stringify({ ranges: v1.ranges, tenants: v1.tenants, shards: v1.shards, version: 1 })) as object;
    const b = await s.propose(reordered, { message: 'same, reordered' });
    const c = await s.propose(v2);
    expect([a.version, b.version, c.version]).toEqual([1, 2, 3]);
    expect(a.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(b.checksum).toBe(a.checksum);
    expect(c.checksum).not.toBe(a.checksum);
    expect((await s.versions()).map((v) => [v.version, v.message])).toEqual([
      [1, 'first'],
      [2, 'same, reordered'],
      [3, ''],
    ]);
    expect(s.active()).toBeUndefined();
  });

  test(`${name}: takes YAML text, a document or a parsed policy, and stores the document as written`, async () => {
    const s = await store(await backend());
    const yaml = await s.propose('version: 1\nshards:\n  s0:\n    instances: [{ url: "${S0_URL:-https://s0.internal}" }]\n');
    const parsed = await s.propose(await parsePolicy(v1, { env: {} }));
    expect(yaml.document).toEqual({ version: 1, shards: { s0: { instances: [{ url: '${S0_URL:-https://s0.internal}' }] } } });
    expect(parsed.document).toEqual(v1);
    expect((await s.get(yaml.version)).shards['s0']!.instances[0]!.url).toBe('https://s0.internal');
  });

  test(`${name}: a candidate that fails validation is never stored and never replaces the active one`, async () => {
    const s = await store(await backend());
    await s.activate((await s.propose(v1)).version);
    const before = routeAll(s);
    await expect(s.propose({ ...v1, tenants: { acme: 's9' } })).rejects.toThrow('tenants.acme: unknown shard "s9"');
    expect(await s.versions()).toHaveLength(1);
    expect(s.active()!.version).toBe(1);
    expect(routeAll(s)).toEqual(before);
  });

  test(`${name}: a version this replica cannot resolve is refused and the last good policy keeps serving`, async () => {
    const b = await backend();
    const writer = await store(b, { env: { S3_URL: 'https://s3.internal' } });
    const reader = await store(await reopen(b), { replica: 'reader', env: {} });
    await writer.activate((await writer.propose(v1)).version);
    await reader.sync();
    const needsVar = { ...v2, shards: { ...v2.shards, s3: { instances: [{ url: '${S3_URL}' }] } } };
    await writer.activate((await writer.propose(needsVar)).version);
    await reader.sync();
    expect(reader.active()!.version).toBe(1);
    expect(reader.status().refused).toMatchObject({ version: 2, reason: expect.stringContaining('${S3_URL}: not set') });
    expect(writer.active()!.version).toBe(2);
  });

  test(`${name}: check names every tenant and prefix a change would strand, and activation needs them acknowledged`, async () => {
    const s = await store(await backend());
    await s.activate((await s.propose(v1)).version);
    const candidate = await s.propose({ ...stranding, ranges: [{ prefix: 'user_', shard: 's1' }] });
    const check = await s.check(candidate.version);
    expect(check.ok).toBe(false);
    expect(check.tenants).toEqual(['globex', 'initech']);
    expect(check.prefixes).toEqual(['user_']);
    expect(check.problems.map((p) => p.message)).toEqual([
      'tenant "globex": moves from "s1" to "s0", its data is on "s1"',
      'tenant "initech": shard "s2" is removed while it holds this tenant\'s data',
      'prefix "user_": moves from "s0" to "s1"',
    ]);
    const refused: unknown = await s.activate(candidate.version, { acknowledge: { tenants: ['globex'] } }).catch((e: unknown) => e);
    expect(isSwitchyardError(refused) && refused.code).toBe('INVALID_CONFIG');
    expect((refused as Error).message).toContain('initech');
    expect((refused as Error).message).not.toContain('globex');
    expect(s.active()!.version).toBe(1);
    const result = await s.activate(candidate.version, { acknowledge: { tenants: ['globex', 'initech'], prefixes: ['user_'] } });
    expect(result).toMatchObject({ version: 2, previous: 1, diff: { shardsRemoved: ['s2'], tenantsMoved: [
      { tenant: 'globex', from: 's1', to: 's0' },
      { tenant: 'initech', from: 's2', to: 's1' },
    ] } });
    expect(s.active()!.version).toBe(2);
  });

  test(`${name}: diff lists shards added and removed, tenants moved and prefixes changed`, async () => {
    const s = await store(await backend());
    const a = await s.propose(v1);
    const b = await s.propose({ ...stranding, shards: { ...stranding.shards, s4: v1.shards.s0 }, ranges: [{ prefix: 'user_', shard: 's1' }, { prefix: 'cart_', shard: 's4' }] });
    const diff = await s.diff(a.version, b.version);
    expect(diff.shardsAdded).toEqual(['s4']);
    expect(diff.shardsRemoved).toEqual(['s2']);
    expect(diff.tenantsMoved).toEqual([
      { tenant: 'globex', from: 's1', to: 's0' },
      { tenant: 'initech', from: 's2', to: 's1' },
    ]);
    expect(diff.prefixesChanged).toEqual([{ prefix: 'user_', from: 's0', to: 's1' }, { prefix: 'cart_', to: 's4' }]);
    expect(diff.hashChanged).toBe(true);
  });

  test(`${name}: preview reports the share of sampled keys that would move`, async () => {
    const s = await store(await backend());
    await s.activate((await s.propose(v1)).version);
    const preview = await s.preview((await s.propose(v2)).version, sampleKeys);
    expect(preview.total).toBe(5_000);
    // Jump from 3 to 4 shards moves about 1/4 of hashed keys, all to the new shard.
    expect(preview.share).toBeGreaterThan(0.22);
    expect(preview.share).toBeLessThan(0.28);
    expect(preview.flows.every((f) => f.to === 's3')).toBe(true);
    expect(preview.examples.length).toBe(20);
  });

  test(`${name}: a rollback restores identical routing for every sampled key`, async () => {
    const s = await store(await backend());
    await s.activate((await s.propose(v1)).version);
    const before = routeAll(s);
    await s.activate((await s.propose(v2)).version);
    expect(routeAll(s)).not.toEqual(before);
    const result = await s.rollback();
    expect(result).toMatchObject({ version: 1, previous: 2 });
    expect(s.active()!.version).toBe(1);
    expect(routeAll(s)).toEqual(before);
    expect((await s.history()).map((h) => [h.version, h.kind])).toEqual([
      [1, 'activate'],
      [2, 'activate'],
      [1, 'rollback'],
    ]);
  });

  test(`${name}: version numbers and the active version survive a restart`, async () => {
    const b = await backend();
    const first = await store(b);
    await first.propose(v1);
    await first.activate((await first.propose(v2)).version);
    await first.close();
    const restarted = await store(await reopen(b));
    expect(restarted.active()!.version).toBe(2);
    expect((await restarted.propose(v1)).version).toBe(3);
  });

  test(`${name}: proposals from two replicas at once both get their own version`, async () => {
    const b = await backend();
    const one = await store(b, { replica: 'one' });
    const two = await store(await reopen(b), { replica: 'two' });
    const results = await Promise.all([one.propose(v1), two.propose(v2), one.propose(v2), two.propose(v1)]);
    expect(results.map((r) => r.version).sort()).toEqual([1, 2, 3, 4]);
    expect(await one.versions()).toHaveLength(4);
  });

  test(`${name}: another replica applies an activation and the fleet view shows both`, async () => {
    const b = await backend();
    const one = await store(b, { replica: 'one', syncIntervalMs: 20 });
    const two = await store(await reopen(b), { replica: 'two', syncIntervalMs: 20 });
    await one.activate((await one.propose(v1)).version);
    await vi.waitFor(() => expect(two.active()?.version).toBe(1), { timeout: 5_000, interval: 10 });
    await vi.waitFor(async () => {
      const fleet = await one.replicas();
      expect(fleet.map((r) => [r.replica, r.applied?.version]).sort()).toEqual([
        ['one', 1],
        ['two', 1],
      ]);
    }, { timeout: 5_000, interval: 10 });
  });

  test(`${name}: a replica whose report expired drops out of the fleet view and out of the backend`, async () => {
    const b = await backend();
    const clock = createManualClock(1_000_000);
    const one = await store(b, { replica: 'one', clock, replicaTtlMs: 15_000 });
    const now = clock.now();
    await b.report!({ replica: 'crashed', seenAt: now - 60_000, expiresAt: now - 45_000 });
    // Reports every 30 s, so it asked for a long expiry: the reader's own, shorter one does not apply.
    await b.report!({ replica: 'slow-interval', seenAt: now - 20_000, expiresAt: now + 70_000 });
    await b.report!({ replica: 'no-interval', seenAt: now - 600_000 });
    expect((await one.replicas()).map((r) => r.replica).sort()).toEqual(['no-interval', 'one', 'slow-interval']);
    expect((await b.replicas!()).map((r) => r.replica).sort()).toEqual(['no-interval', 'one', 'slow-interval']);
    // Every sync reports, so a live replica's entry stays fresh while time passes.
    clock.advance(80_000);
    await one.sync();
    expect((await one.replicas()).map((r) => r.replica).sort()).toEqual(['no-interval', 'one']);
  });

  test(`${name}: a replica that cannot read the backend still reports what it routes by`, async () => {
    const b = await backend();
    const clock = createManualClock(1_000_000);
    const writer = await store(b, { replica: 'writer', clock });
    await writer.activate((await writer.propose(v1)).version);
    let readable = true;
    const flaky: PolicyBackend = { ...b, read: () => (readable ? b.read() : Promise.reject(new Error('timeout'))), report: b.report!.bind(b), replicas: b.replicas!.bind(b), forget: b.forget!.bind(b), write: b.write.bind(b) };
    const stuck = await store(flaky, { replica: 'stuck', clock, replicaTtlMs: 15_000, on: { syncError: () => {} } });
    readable = false;
    clock.advance(60_000);
    await stuck.sync();
    const fleet = await writer.replicas();
    expect(fleet.find((r) => r.replica === 'stuck')).toMatchObject({ applied: { version: 1 }, seenAt: 1_060_000 });
  });

  test(`${name}: replicaTtlMs must be longer than syncIntervalMs`, () => {
    expect(() => createPolicyStore({ store: { read: async () => ({ revision: 0, versions: [], activations: [] }), write: async () => true }, syncIntervalMs: 5_000, replicaTtlMs: 5_000 })).toThrow(
      /replicaTtlMs.*longer than `syncIntervalMs`/,
    );
  });

  test(`${name}: forget keeps a replica that reported after the stale read`, async () => {
    const b = await backend();
    await b.report!({ replica: 'back', seenAt: 2_000 });
    await b.forget!('back', 1_000);
    expect((await b.replicas!()).map((r) => r.replica)).toEqual(['back']);
    await b.forget!('back', 2_000);
    expect(await b.replicas!()).toEqual([]);
  });

  test(`${name}: a replica that closes leaves the fleet view, but a newer report under its name stays`, async () => {
    const b = await backend();
    const one = await store(b, { replica: 'one' });
    const two = await store(await reopen(b), { replica: 'two' });
    expect((await one.replicas()).map((r) => r.replica).sort()).toEqual(['one', 'two']);
    await two.close();
    expect((await one.replicas()).map((r) => r.replica)).toEqual(['one']);
    // A restarted process under the same name reported before the old one closed.
    const clock = createManualClock(10_000_000_000_000);
    const old = await store(b, { replica: 'pod-0' });
    await store(await reopen(b), { replica: 'pod-0', clock });
    await old.close();
    expect((await one.replicas()).map((r) => r.replica).sort()).toEqual(['one', 'pod-0']);
  });
}
