import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProxy } from '../../src/http/index.js';
import { toNodeHandler } from '../../src/node/index.js';
import { recorder, send } from '../http/_servers.js';

describe('the Node adapter under Fastify', () => {
  let upstream: Awaited<ReturnType<typeof recorder>>;
  let app: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    upstream = await recorder();
    const handler = toNodeHandler(createProxy({ target: `${upstream.origin}/base`, name: 'users' }), {
      path: (req) => (req.url ?? '/').replace(/^\/api/, '') || '/',
    });
    app = Fastify();
    // Fastify must not parse the body: the proxy streams it.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request: unknown, _payload: unknown, done: (error: Error | null, body?: unknown) => void) => done(null));
    app.all('/api/*', (request: FastifyRequest, reply: FastifyReply) => {
      reply.hijack();
      return handler(request.raw, reply.raw);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });

  afterAll(async () => {
    await app.close();
    await upstream.close();
  });

  it('forwards a request with its body, method and query to the target base path', async () => {
    const response = await send(port, { path: '/api/users/7?expand=groups', method: 'POST', body: '{"name":"ada"}', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(200);
    const seen = upstream.requests.at(-1)!;
    expect(seen).toMatchObject({ method: 'POST', url: '/base/users/7?expand=groups', body: '{"name":"ada"}' });
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('refuses an escaping path before it reaches the upstream', async () => {
    const before = upstream.requests.length;
    const response = await send(port, { path: '/api/%2e%2e/admin' });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'Bad request', target: 'users' });
    expect(upstream.requests.length).toBe(before);
  });
});
