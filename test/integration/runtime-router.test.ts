/**
 * The runtime router in front of real upstreams: node:http servers on 127.0.0.1, a node:http
 * gateway that asks the router first and runs its own handler on null, and the real createProxy
 * through proxyForward.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { proxyForward } from '../../src/http/index.js';
import { clientAddress, sendWebResponse, toWebRequest } from '../../src/node/index.js';
import { createRuntimeRouter, type RouteTable, type RuntimeRouter, type RuntimeRouterOptions } from '../../src/routing/index.js';
import { expectNoLeaks, listen, refusedPort, send, snapshotResources, type Running } from '../http/_servers.js';

interface Seen {
  server: string;
  url: string;
  forwardedFor: string | undefined;
}

let before: Map<string, number>;
const running: Running[] = [];

async function track<T extends Running>(server: Promise<T>): Promise<T> {
  const value = await server;
  running.push(value);
  return value;
}

/** An upstream that answers with its own name and the request it received. */
async function upstream(name: string): Promise<Running & { seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = await track(
    listen((req, res) => {
      const entry = { server: name, url: req.url ?? '', forwardedFor: req.headers['x-forwarded-for'] as string | undefined };
      seen.push(entry);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(entry));
    }),
  );
  return Object.assign(server, { seen });
}

/** A gateway for one function: the router first, the app's own handler when it returns null. */
async function gateway(router: RuntimeRouter, key = 'fn'): Promise<Running> {
  return track(
    listen((req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        const request = toWebRequest(req, res);
        const response = await router.handle(key, request, { path: req.url ?? '/', clientAddress: clientAddress(req) });
        if (response === null) {
          res.statusCode = 200;
          res.end('handled by the function itself');
          return;
        }
        await sendWebResponse(res, response);
      })();
    }),
  );
}

function routerFor(table: RouteTable, options: Partial<RuntimeRouterOptions> = {}): RuntimeRouter {
  return createRuntimeRouter({ load: async () => table, forward: proxyForward({ timeoutMs: 5_000 }), ...options });
}

beforeEach(() => {
  before = snapshotResources();
});

afterEach(async () => {
  for (const server of running.splice(0).reverse()) await server.close();
  await expectNoLeaks(before);
});

describe('runtime router over real HTTP', () => {
  it('routes the seed gateway table: /api/v1/users/123 reaches the users upstream as /123, query kept', async () => {
    const [users, orders, frontend] = await Promise.all([upstream('users'), upstream('orders'), upstream('frontend')]);
    const gw = await gateway(
      routerFor({
        '/api/v1/users/*': users.origin,
        '/api/v1/orders/*': orders.origin,
        '/*': frontend.origin,
      }),
    );
    const response = await send(gw.port, { path: '/api/v1/users/123?fields=name' });
    expect([response.status, JSON.parse(response.body)]).toEqual([
      200,
      { server: 'users', url: '/123?fields=name', forwardedFor: '127.0.0.1' },
    ]);
  });

  it('sends the exact override /api/health to its target path', async () => {
    const [health, api] = await Promise.all([upstream('health'), upstream('api')]);
    const gw = await gateway(routerFor({ '/api/health': `${health.origin}/status`, '/api/*': api.origin }));
    const response = await send(gw.port, { path: '/api/health' });
    expect(JSON.parse(response.body)).toMatchObject({ server: 'health', url: '/status' });
  });

  it('lets the function handle a path that no route matches', async () => {
    const api = await upstream('api');
    const gw = await gateway(routerFor({ '/api/*': api.origin }));
    const response = await send(gw.port, { path: '/checkout' });
    expect([response.body, api.seen]).toEqual(['handled by the function itself', []]);
  });

  it('spreads requests over weighted upstreams in proportion to their weights', async () => {
    const [a, b] = await Promise.all([upstream('a'), upstream('b')]);
    const gw = await gateway(
      routerFor([{ path: '/*', targets: [{ url: a.origin, weight: 3, id: 'a' }, { url: b.origin, weight: 1, id: 'b' }] }]),
    );
    for (let i = 0; i < 8; i++) await send(gw.port, { path: `/item/${i}` });
    expect([a.seen.length, b.seen.length]).toEqual([6, 2]);
  });

  it('skips an upstream whose breaker is open', async () => {
    const [a, b] = await Promise.all([upstream('a'), upstream('b')]);
    const open = new Set(['b']);
    const gw = await gateway(
      routerFor([{ path: '/*', targets: [{ url: a.origin, id: 'a' }, { url: b.origin, id: 'b' }] }], {
        isAvailable: (id) => !open.has(id),
      }),
    );
    for (let i = 0; i < 4; i++) await send(gw.port, { path: '/x' });
    expect([a.seen.length, b.seen.length]).toEqual([4, 0]);
  });

  it('answers 503 without any upstream address when every upstream is unavailable', async () => {
    const a = await upstream('a');
    const gw = await gateway(routerFor([{ path: '/*', name: 'catalog', targets: [{ url: a.origin, id: 'a' }] }], { isAvailable: () => false }));
    const response = await send(gw.port, { path: '/x' });
    expect([response.status, JSON.parse(response.body), response.body.includes(String(a.port)), a.seen]).toEqual([
      503,
      { error: 'No upstream available', target: 'catalog' },
      false,
      [],
    ]);
  });

  it('answers 400 to //admin and never reaches an upstream', async () => {
    const [admin, site] = await Promise.all([upstream('admin'), upstream('site')]);
    const gw = await gateway(routerFor({ '/admin/*': admin.origin, '/*': site.origin }));
    const response = await send(gw.port, { path: '//admin/users' });
    expect([response.status, admin.seen, site.seen]).toEqual([400, [], []]);
  });

  it('answers 400 to an encoded traversal out of a route prefix and never reaches an upstream', async () => {
    const [pub, internal] = await Promise.all([upstream('public'), upstream('internal')]);
    const gw = await gateway(routerFor({ '/public/*': `${pub.origin}/files`, '/*': internal.origin }));
    const response = await send(gw.port, { path: '/public/%2e%2E/%2e%2e/internal/secrets' });
    expect([response.status, pub.seen, internal.seen]).toEqual([400, [], []]);
  });

  it('answers 502 labelled with the route name, not the address, when the upstream refuses connections', async () => {
    const port = await refusedPort();
    const gw = await gateway(routerFor([{ path: '/api/*', target: `http://127.0.0.1:${port}`, name: 'api' }]));
    const response = await send(gw.port, { path: '/api/x' });
    expect([response.status, JSON.parse(response.body), response.body.includes(String(port))]).toEqual([
      502,
      { error: 'Upstream unreachable', target: 'api' },
      false,
    ]);
  });
});
