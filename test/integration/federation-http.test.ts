/**
 * Tenant federation end to end: a PostgreSQL directory, real HTTP node servers, and a BFF on
 * node:http that routes each request to its tenant's node through `createFanout`.
 */
import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBreakers } from '../../src/breaker/index.js';
import { createFanout } from '../../src/fanout/createFanout.js';
import { firstSuccess } from '../../src/combine/firstSuccess.js';
import { httpStatusOf, isSwitchyardError } from '../../src/errors/SwitchyardError.js';
import { migrate } from '../../src/postgres/migrate.js';
import { postgresDirectory, type PostgresDirectory } from '../../src/postgres/postgresDirectory.js';
import { federationRouter, type FederationRouteState } from '../../src/routing/federation/federationRouter.js';
import { tenantFrom } from '../../src/routing/federation/extract.js';
import type { Instance } from '../../src/router/types.js';
import { eventually } from '../routing/federation/directory.cases.js';
import { usePostgres } from '../helpers/postgres-server.js';
import { listen, type Running } from '../http/_servers.js';

const postgres = usePostgres();

interface NodeServer extends Running {
  id: string;
  /** Tenant ids of every request this node received. */
  seen: string[];
}

async function nodeServer(id: string): Promise<NodeServer> {
  const seen: string[] = [];
  const running = await listen((req, res) => {
    const tenant = String(req.headers['x-tenant-id'] ?? '');
    seen.push(tenant);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ node: id, tenant }));
  });
  return Object.assign(running, { id, seen });
}

let pool: pg.Pool;
let directory: PostgresDirectory;
let bff: Running;
const nodes = new Map<string, NodeServer>();
const fallbacks: FederationRouteState[] = [];
// Tenant → its node; t2's node has no secondary.
const placement: Record<string, string> = { t0: 'node-a', t1: 'node-b', t2: 'node-c', t3: 'node-a', t4: 'node-b' };
const DATABASE_PASSWORD = 'node-db-password-9f2c';

beforeAll(async () => {
  pool = postgres.server.pool('postgres', 10);
  await migrate(pool);
  for (const id of ['node-a', 'node-b', 'node-c', 'default']) nodes.set(id, await nodeServer(id));
  for (const node of nodes.values()) {
    await pool.query('INSERT INTO federation_nodes (node_id, region, url, database_url) VALUES ($1, $2, $3, $4)', [
      node.id,
      'eu',
      node.origin,
      `postgres://app:${DATABASE_PASSWORD}@${node.id}.db.internal:5432/app`,
    ]);
  }
  for (const [tenant, node] of Object.entries(placement)) {
    await pool.query("INSERT INTO tenant_federation_map (tenant_id, primary_node_id, primary_region) VALUES ($1, $2, 'eu')", [tenant, node]);
  }
  directory = postgresDirectory({ pool });
  await directory.ready();

  const fanout = createFanout({
    router: federationRouter({ directory, tenant: tenantFrom(), fallback: { nodeId: 'default' }, on: { fallback: (s) => fallbacks.push(s) } }),
    // Generous: the test asserts where answers come from, not how fast, on a shared machine.
    timeoutMs: 10_000,
    deadlineMs: 20_000,
    retry: { maxAttempts: 1 },
  });
  const worker = async (instance: Instance, call: { data: Request; signal: AbortSignal }) => {
    const response = await fetch(`${instance.url}/whoami`, { headers: { 'x-tenant-id': call.data.headers.get('x-tenant-id') ?? '' }, signal: call.signal });
    if (!response.ok) throw Object.assign(new Error(`node answered ${response.status}`), { status: response.status });
    const body = (await response.json()) as { node: string; tenant: string };
    return { ...body, fallback: instance.meta?.fallback === true };
  };
  bff = await listen((req, res) => {
    const request = new Request(`http://bff.local${req.url ?? '/'}`, { headers: req.headers as Record<string, string> });
    fanout
      .run({ operation: 'whoami', data: request, context: {}, worker, strategy: firstSuccess() })
      .then(
        (value) => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(value));
        },
        (error: unknown) => {
          res.statusCode = httpStatusOf(error);
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(isSwitchyardError(error) ? error.toJSON() : { code: 'INTERNAL' }));
        },
      );
  });
});

afterAll(async () => {
  await bff?.close();
  for (const node of nodes.values()) await node.close();
  await directory?.close();
  await pool?.end();
});

/** One request to the BFF over real HTTP on a fresh connection. */
function ask(headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: bff.port, path: '/whoami', headers, agent: false }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown>, text }));
    });
    request.once('error', reject);
    request.end();
  });
}

const seenCounts = () => new Map([...nodes.values()].map((n) => [n.id, n.seen.length]));

function expectNoSecrets(text: string): void {
  expect(text).not.toContain(DATABASE_PASSWORD);
  expect(text).not.toContain('postgres://');
  expect(text).not.toContain('127.0.0.1');
  expect(text).not.toContain(postgres.server.password);
}

describe('tenant federation over HTTP', () => {
  it('answers 500 concurrent requests for interleaved tenants, each from its own tenant node', async () => {
    for (const node of nodes.values()) node.seen.length = 0;
    const tenants = Object.keys(placement).filter((t) => t !== 't2');
    const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => tenants[i % tenants.length]!).map(async (tenant) => ({ tenant, answer: await ask({ 'x-tenant-id': tenant }) })));
    for (const { tenant, answer } of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ node: placement[tenant], tenant, fallback: false });
    }
    for (const node of nodes.values()) {
      for (const tenant of node.seen) expect(placement[tenant]).toBe(node.id);
    }
    expect(nodes.get('default')!.seen).toEqual([]);
    expect(nodes.get('node-a')!.seen.length + nodes.get('node-b')!.seen.length).toBe(500);
  });

  it('sends only an unmapped tenant to the default node, and flags it', async () => {
    const before = fallbacks.length;
    const answer = await ask({ 'x-tenant-id': 'newcomer' });
    expect(answer.body).toEqual({ node: 'default', tenant: 'newcomer', fallback: true });
    expect(fallbacks.slice(before)).toEqual([{ tenant: 'newcomer', region: undefined, nodeId: 'default', role: 'fallback' }]);
  });

  it('fails a tenant whose node is marked down with 503, reaching no other node and not the default', async () => {
    await pool.query("UPDATE federation_nodes SET status = 'down' WHERE node_id = 'node-c'");
    await eventually(async () => (await directory.node('node-c'))?.status === 'down');
    const before = seenCounts();
    const answers = await Promise.all(Array.from({ length: 50 }, () => ask({ 'x-tenant-id': 't2' })));
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({ name: 'SwitchyardError', code: 'TENANT_UNAVAILABLE', message: 'The tenant is unavailable' });
      expectNoSecrets(answer.text);
    }
    expect(seenCounts()).toEqual(before);
    await pool.query("UPDATE federation_nodes SET status = 'active' WHERE node_id = 'node-c'");
    await eventually(async () => (await directory.node('node-c'))?.status === 'active');
  });

  it('fails a tenant whose node stopped answering with an error of its own, reaching no other node', async () => {
    const nodeC = nodes.get('node-c')!;
    await nodeC.close();
    const before = seenCounts();
    const answers = await Promise.all(Array.from({ length: 20 }, () => ask({ 'x-tenant-id': 't2' })));
    // The first failures are outages of the node (502); once its breaker opens, the router knows
    // the tenant has no node left (503). Either way no other node is asked.
    for (const answer of answers) {
      expect(['502 ALL_FAILED', '503 TENANT_UNAVAILABLE']).toContain(`${answer.status} ${String(answer.body['code'])}`);
      expectNoSecrets(answer.text);
    }
    expect(answers.some((answer) => answer.status === 502)).toBe(true);
    expect(seenCounts()).toEqual(before);
    nodes.delete('node-c');
  });

  it('rejects a bad tenant id and conflicting sources with 400, an unknown tenant without fallback never reaches a node', async () => {
    const before = seenCounts();
    const bad = await ask({ 'x-tenant-id': 'acme;drop' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'INVALID_INPUT' });
    expect(bad.text).not.toContain('drop');
    const conflict = await new Promise<number>((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port: bff.port, path: '/whoami?tenant=t0', headers: { 'x-tenant-id': 't1' }, agent: false }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.once('error', reject);
      request.end();
    });
    expect(conflict).toBe(400);
    const missing = await ask({});
    expect(missing.status).toBe(400);
    expect(seenCounts()).toEqual(before);
  });
});

describe('tenant federation with breakers', () => {
  it("fails over to the tenant's secondary once its primary's breaker opens, and only then", async () => {
    const failing = await listen((req, res) => {
      res.statusCode = 500;
      res.end('boom');
    });
    const secondary = await nodeServer('node-y');
    const breakers = createBreakers({ policy: { kind: 'consecutive', threshold: 2 }, openMs: 60_000, maxEjectedPercent: 100 });
    try {
      await pool.query("INSERT INTO federation_nodes (node_id, region, url) VALUES ('node-x', 'eu', $1), ('node-y', 'eu', $2)", [failing.origin, secondary.origin]);
      await pool.query("INSERT INTO tenant_federation_map (tenant_id, primary_node_id, primary_region) VALUES ('t5', 'node-x', 'eu')");
      await pool.query("INSERT INTO federation_routing (tenant_id, region, node_id, is_primary, weight) VALUES ('t5', 'eu', 'node-y', false, 100)");
      await eventually(async () => (await directory.tenant('t5'))?.rules.length === 1);
      const failovers: FederationRouteState[] = [];
      const fanout = createFanout({
        router: federationRouter({
          directory,
          tenant: tenantFrom(),
          isAvailable: (id) => breakers.state(id) !== 'open',
          on: { failover: (s) => failovers.push(s) },
        }),
        breaker: breakers,
        timeoutMs: 10_000,
        deadlineMs: 20_000,
        retry: { maxAttempts: 1 },
      });
      const call = () =>
        fanout.run({
          operation: 'whoami',
          data: new Request('http://bff.local/', { headers: { 'x-tenant-id': 't5' } }),
          context: {},
          worker: async (instance: Instance, { signal }: { signal: AbortSignal }) => {
            const response = await fetch(`${instance.url}/whoami`, { headers: { 'x-tenant-id': 't5' }, signal });
            if (!response.ok) throw Object.assign(new Error('upstream'), { status: response.status });
            return { ...((await response.json()) as { node: string }), role: instance.meta?.role };
          },
          strategy: firstSuccess(),
        });
      await expect(call()).rejects.toMatchObject({ code: 'ALL_FAILED' });
      await expect(call()).rejects.toMatchObject({ code: 'ALL_FAILED' });
      expect(breakers.state('node-x')).toBe('open');
      expect(await call()).toMatchObject({ node: 'node-y', role: 'secondary' });
      expect(failovers).toEqual([{ tenant: 't5', region: undefined, nodeId: 'node-y', role: 'secondary' }]);
      expect(secondary.seen).toEqual(['t5']);
    } finally {
      await failing.close();
      await secondary.close();
    }
  });
});
