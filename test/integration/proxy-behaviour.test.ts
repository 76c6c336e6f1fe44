import { gunzipSync, gzipSync } from 'node:zlib';
import http from 'node:http';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createProxy, fetchTransport, type ProxyErrorState, type Transport, type TransportRequest } from '../../src/http/index.js';
import { sendWebResponse, toNodeHandler } from '../../src/node/index.js';
import { undiciTransport } from '../../src/http/undici.js';
import { listen, recorder, refusedPort, send, sendRaw, trackServers } from '../http/_servers.js';

const track = trackServers();

describe('upstream failures', () => {
  it('answers 502 with the generic body when the target refuses connections', async () => {
    const port = await refusedPort();
    const errors: ProxyErrorState[] = [];
    const proxy = createProxy({ target: `http://127.0.0.1:${port}/base`, name: 'users', on: { error: (state) => void errors.push(state) } });
    const response = await proxy.handle(new Request('http://front.example/x'));
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: 'Upstream unreachable', target: 'users' });
    expect(text).not.toContain(String(port));
    expect(errors.map((e) => e.url)).toEqual([`http://127.0.0.1:${port}/base/x`]);
  });

  it("gives the error hook the client's request for an upload the refused upstream never took", async () => {
    const port = await refusedPort();
    const seen: string[] = [];
    const handler = toNodeHandler(
      createProxy({ target: `http://127.0.0.1:${port}`, on: { error: (state) => void seen.push(`${state.request.method} ${new URL(state.request.url).pathname}`) } }),
    );
    const front = await track(listen(handler));
    const response = await slowUpload(front.port, ['hello'], 0, { sized: true });
    expect([response.status, seen]).toEqual([502, ['POST /upload']]);
  });

  it('answers the same 502 when the error hook throws', async () => {
    const port = await refusedPort();
    const proxy = createProxy({
      target: `http://127.0.0.1:${port}`,
      name: 'users',
      on: {
        error: () => {
          throw new Error('logger down');
        },
      },
    });
    const response = await proxy.handle(new Request('http://front.example/x'));
    expect([response.status, await response.json()]).toEqual([502, { error: 'Upstream unreachable', target: 'users' }]);
  });

  it('answers 504 when the upstream does not answer within timeoutMs and closes the upstream socket', async () => {
    let upstreamClosed!: Promise<unknown>;
    const hanging = await track(
      listen((req) => {
        upstreamClosed = once(req.socket, 'close');
      }),
    );
    const proxy = createProxy({ target: hanging.origin, timeoutMs: 200, name: 'slow' });
    const response = await proxy.handle(new Request('http://front.example/x'));
    expect(response.status).toBe(504);
    expect(await response.json()).toEqual({ error: 'Upstream timed out', target: 'slow' });
    await upstreamClosed;
  });

  it('answers 500 when the upstream call fails for a reason other than the network', async () => {
    const proxy = createProxy({
      target: 'http://127.0.0.1:9/',
      fetch: async () => {
        throw new RangeError('internal detail http://10.0.0.1');
      },
    });
    const response = await proxy.handle(new Request('http://front.example/x'));
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'Proxy error', target: 'upstream' });
  });

  it('closes the upstream connection when the client disconnects mid-response', async () => {
    let upstreamClosed!: Promise<unknown>;
    const streaming = await track(
      listen((_req, res) => {
        upstreamClosed = once(res, 'close');
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first chunk');
      }),
    );
    const front = await track(listen(toNodeHandler(createProxy({ target: streaming.origin }))));
    await new Promise<void>((resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port: front.port, path: '/x', agent: false }, (res) => {
        res.once('data', () => {
          request.destroy();
          resolve();
        });
      });
      request.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
    });
    await upstreamClosed;
  });
});

describe('what is forwarded', () => {
  it('keeps method, query and body', async () => {
    const upstream = await track(recorder());
    const front = await track(listen(toNodeHandler(createProxy({ target: `${upstream.origin}/base/` }))));
    const response = await send(front.port, {
      path: '/orders?limit=2&sort=-date',
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"id":7}',
    });
    expect(response.status).toBe(200);
    const seen = upstream.requests[0]!;
    expect([seen.method, seen.url, seen.body, seen.headers['content-type']]).toEqual([
      'PUT',
      '/base/orders?limit=2&sort=-date',
      '{"id":7}',
      'application/json',
    ]);
  });

  it('strips hop-by-hop request headers and every header named in Connection', async () => {
    const upstream = await track(recorder());
    const front = await track(listen(toNodeHandler(createProxy({ target: upstream.origin }))));
    // Raw bytes: Node's client refuses to send Trailer, and Transfer-Encoding is part of the test.
    const head = await sendRaw(
      front.port,
      'POST /x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, x-client-secret\r\nX-Client-Secret: drop me\r\n' +
        'Keep-Alive: timeout=99\r\nProxy-Connection: keep-alive\r\nProxy-Authorization: Basic c2VjcmV0\r\n' +
        'TE: trailers\r\nTrailer: x-later\r\nTransfer-Encoding: chunked\r\nX-Kept: yes\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    );
    expect(head.startsWith('HTTP/1.1 200')).toBe(true);
    expect(upstream.requests[0]!.body).toBe('hello');
    const headers = upstream.requests[0]!.headers;
    expect(headers['x-kept']).toBe('yes');
    for (const name of ['x-client-secret', 'proxy-connection', 'proxy-authorization', 'te', 'trailer']) {
      expect(headers[name]).toBeUndefined();
    }
    expect(headers['keep-alive']).toBeUndefined();
  });

  it('strips hop-by-hop response headers and every header named in Connection', async () => {
    const upstream = await track(
      recorder((_req, res) => {
        res.setHeader('connection', 'x-upstream-secret');
        res.setHeader('x-upstream-secret', 'internal');
        res.setHeader('keep-alive', 'timeout=999');
        res.setHeader('proxy-authenticate', 'Basic realm="internal"');
        res.setHeader('trailer', 'x-later');
        res.setHeader('upgrade', 'h2c');
        res.setHeader('x-kept', 'yes');
        res.end('ok');
      }),
    );
    const response = await createProxy({ target: upstream.origin }).handle(new Request('http://front.example/x'));
    expect(await response.text()).toBe('ok');
    expect(response.headers.get('x-kept')).toBe('yes');
    for (const name of ['connection', 'x-upstream-secret', 'keep-alive', 'proxy-authenticate', 'trailer', 'upgrade', 'transfer-encoding']) {
      expect(response.headers.get(name)).toBeNull();
    }
  });

  it('keeps every Set-Cookie header separate', async () => {
    const upstream = await track(
      recorder((_req, res) => {
        res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT']);
        res.end();
      }),
    );
    const front = await track(listen(toNodeHandler(createProxy({ target: upstream.origin }))));
    const response = await send(front.port, { path: '/x' });
    expect(response.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT']);
  });

  it('on fetch, delivers a gzip-encoded upstream body decoded and without a stale Content-Encoding', async () => {
    const upstream = await track(
      recorder((_req, res) => {
        res.setHeader('content-encoding', 'gzip');
        res.end(gzipSync('hello compressed world'));
      }),
    );
    const front = await track(listen(toNodeHandler(createProxy({ target: upstream.origin, transport: fetchTransport() }))));
    const response = await send(front.port, { path: '/x', headers: { 'accept-encoding': 'gzip' } });
    expect(response.body).toBe('hello compressed world');
    expect(response.headers['content-encoding']).toBeUndefined();
  });

  it('on undici, passes a gzip-encoded body through untouched with its Content-Encoding and Content-Length', async () => {
    const compressed = gzipSync('hello compressed world');
    const upstream = await track(
      recorder((_req, res) => {
        res.setHeader('content-encoding', 'gzip');
        res.end(compressed);
      }),
    );
    const transport = undiciTransport();
    const front = await track(listen(toNodeHandler(createProxy({ target: upstream.origin, transport }))));
    const response = await new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: front.port, path: '/x', agent: false, headers: { 'accept-encoding': 'gzip' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        })
        .on('error', reject);
    });
    await transport.close();
    expect(response.headers['content-encoding']).toBe('gzip');
    expect(response.headers['content-length']).toBe(String(compressed.byteLength));
    expect(gunzipSync(response.body).toString()).toBe('hello compressed world');
  });
});

describe('redirects on uploads', () => {
  it('on fetch, answers 502 to a redirect of a streamed upload rather than buffering the body to replay it', async () => {
    const elsewhere = await track(recorder());
    const upstream = await track(
      recorder((_req, res) => {
        res.statusCode = 307;
        res.setHeader('location', `${elsewhere.origin}/moved`);
        res.end();
      }),
    );
    const front = await track(listen(toNodeHandler(createProxy({ target: upstream.origin, transport: fetchTransport() }))));
    const response = await send(front.port, { path: '/upload', method: 'POST', body: 'payload' });
    expect(response.status).toBe(502);
    expect(upstream.requests.map((r) => r.body)).toEqual(['payload']);
    expect(elsewhere.requests).toEqual([]);
  });

  it('on undici, passes the redirect of a streamed upload to the client without following it', async () => {
    const elsewhere = await track(recorder());
    const upstream = await track(
      recorder((_req, res) => {
        res.statusCode = 307;
        res.setHeader('location', `${elsewhere.origin}/moved`);
        res.end();
      }),
    );
    const transport = undiciTransport();
    const front = await track(listen(toNodeHandler(createProxy({ target: upstream.origin, transport }))));
    const response = await send(front.port, { path: '/upload', method: 'POST', body: 'payload' });
    await transport.close();
    expect(response.status).toBe(307);
    expect(response.headers.location).toBe(`${elsewhere.origin}/moved`);
    expect(upstream.requests.map((r) => r.body)).toEqual(['payload']);
    expect(elsewhere.requests).toEqual([]);
  });
});

describe('forwarding headers', () => {
  const spoofed = { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'spoofed.example', 'x-forwarded-proto': 'https', forwarded: 'for=6.6.6.6' };

  it('sets X-Forwarded-For, -Host and -Proto from the connection', async () => {
    const upstream = await track(recorder());
    const front = await track(listen(toNodeHandler(createProxy({ target: upstream.origin }))));
    await send(front.port, { path: '/x' });
    const headers = upstream.requests[0]!.headers;
    expect([headers['x-forwarded-for'], headers['x-forwarded-host'], headers['x-forwarded-proto']]).toEqual([
      '127.0.0.1',
      `127.0.0.1:${front.port}`,
      'http',
    ]);
  });

  it("replaces an untrusted client's forwarding headers", async () => {
    const upstream = await track(recorder());
    const front = await track(listen(toNodeHandler(createProxy({ target: upstream.origin, trustProxy: ['10.0.0.0/8'] }))));
    await send(front.port, { path: '/x', headers: spoofed });
    const headers = upstream.requests[0]!.headers;
    expect([headers['x-forwarded-for'], headers['x-forwarded-host'], headers['x-forwarded-proto'], headers.forwarded]).toEqual([
      '127.0.0.1',
      `127.0.0.1:${front.port}`,
      'http',
      undefined,
    ]);
  });

  it("appends to a trusted proxy's forwarding headers", async () => {
    const upstream = await track(recorder());
    const front = await track(
      listen(toNodeHandler(createProxy({ target: upstream.origin, trustProxy: ['127.0.0.0/8'], forwarded: true }))),
    );
    await send(front.port, { path: '/x', headers: spoofed });
    const headers = upstream.requests[0]!.headers;
    expect([headers['x-forwarded-for'], headers['x-forwarded-host'], headers['x-forwarded-proto'], headers.forwarded]).toEqual([
      '6.6.6.6, 127.0.0.1',
      'spoofed.example',
      'https',
      `for=6.6.6.6, for=127.0.0.1;host="127.0.0.1:${front.port}";proto=http`,
    ]);
  });

  it('writes an RFC 7239 Forwarded header with a quoted IPv6 address when asked', async () => {
    const upstream = await track(recorder());
    const response = await createProxy({ target: upstream.origin, forwarded: true }).handle(
      new Request('http://front.example/x'),
      { clientAddress: '2001:db8::7' },
    );
    await response.text();
    expect(upstream.requests[0]!.headers.forwarded).toBe('for="[2001:db8::7]";host=front.example;proto=http');
  });
});

/** Connects, sends a GET and destroys the connection once `ready` resolves. */
function leaveAfter(port: number, ready: Promise<unknown>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/x', agent: false });
    request.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
    request.on('close', () => resolve());
    void ready.then(() => request.destroy());
  });
}

describe('clients that leave', () => {
  it('settles the Node handler and releases the upstream when the client disconnects while the upstream hangs', async () => {
    let arrived!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    let upstreamClosed!: Promise<unknown>;
    const hanging = await track(
      listen((req) => {
        upstreamClosed = once(req.socket, 'close');
        arrived();
      }),
    );
    const handler = toNodeHandler(createProxy({ target: hanging.origin }));
    const settled: Promise<void>[] = [];
    const front = await track(listen((req, res) => void settled.push(handler(req, res))));
    await leaveAfter(front.port, reached);
    await upstreamClosed;
    await expect(Promise.all(settled)).resolves.toEqual([undefined]);
  });

  // How users wrap a transport: a copy of the request (signal included), a Proxy around it
  // (instrumentation), an object derived from it.
  const wraps: Record<string, (request: TransportRequest) => TransportRequest> = {
    copy: (request) => ({ ...request, headers: { ...request.headers, 'x-wrapped': 'yes' } }),
    proxy: (request) =>
      new Proxy(request, { get: (target, key, receiver) => (key === 'headers' ? { ...target.headers, 'x-wrapped': 'yes' } : Reflect.get(target, key, receiver)) }),
    derived: (request) => Object.assign(Object.create(request) as TransportRequest, { headers: { ...request.headers, 'x-wrapped': 'yes' } }),
  };
  it.each(
    Object.keys(wraps).flatMap((wrap) => [
      [wrap, 'undici', () => undiciTransport()] as const,
      [wrap, 'fetch', () => fetchTransport()] as const,
    ]),
  )('releases the upstream through a wrapping transport (%s), on %s', async (wrap, _name, inner) => {
    let arrived!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    let upstreamClosed!: Promise<unknown>;
    const seen: (string | undefined)[] = [];
    const hanging = await track(
      listen((req) => {
        seen.push(req.headers['x-wrapped'] as string | undefined);
        upstreamClosed = once(req.socket, 'close');
        arrived();
      }),
    );
    const transport = inner();
    // A transport that adds a header, as users write them: a copy of the request, signal included.
    const wrapping: Transport = {
      request: (request) => transport.request(wraps[wrap]!(request)),
      close: () => transport.close(),
    };
    const handler = toNodeHandler(createProxy({ target: hanging.origin, transport: wrapping }));
    const settled: Promise<void>[] = [];
    const front = await track(listen((req, res) => void settled.push(handler(req, res))));
    await leaveAfter(front.port, reached);
    await upstreamClosed;
    await expect(Promise.all(settled)).resolves.toEqual([undefined]);
    await transport.close();
    expect(seen).toEqual(['yes']);
  });

  it('resolves sendWebResponse and cancels the body when the client left before it was called', async () => {
    const outcomes: string[] = [];
    let handled!: () => void;
    const done = new Promise<void>((resolve) => (handled = resolve));
    let connected!: () => void;
    const front = await track(
      listen((_req, res) => {
        connected();
        res.once('close', async () => {
          await sendWebResponse(res, new Response(null, { status: 204 }));
          outcomes.push('null body sent');
          const body = new ReadableStream<Uint8Array>({
            pull: (controller) => controller.enqueue(new TextEncoder().encode('chunk')),
            cancel: () => void outcomes.push('body cancelled'),
          });
          await sendWebResponse(res, new Response(body));
          outcomes.push('streamed body sent');
          handled();
        });
      }),
    );
    await leaveAfter(front.port, new Promise<void>((resolve) => (connected = resolve)));
    await done;
    expect(outcomes).toEqual(['null body sent', 'body cancelled', 'streamed body sent']);
  });
});

/** POSTs `chunks` one every `intervalMs` (chunked encoding), so the upload takes its time. */
function slowUpload(
  port: number,
  chunks: string[],
  intervalMs: number,
  { sized = false } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // Sized: with a Content-Length, as most clients send an upload; else chunked.
    const headers = sized ? { 'content-length': String(chunks.join('').length) } : {};
    const request = http.request({ host: '127.0.0.1', port, path: '/upload', method: 'POST', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    let sent = 0;
    const next = () => {
      if (sent === chunks.length) return void request.end();
      request.write(chunks[sent++]);
      setTimeout(next, intervalMs);
    };
    next();
  });
}

describe('timeoutMs and uploads', () => {
  it('answers 200 to a slow but steady upload that lasts longer than timeoutMs', async () => {
    const upstream = await track(recorder());
    const front = await track(listen(toNodeHandler(createProxy({ target: upstream.origin, timeoutMs: 500 }))));
    const started = Date.now();
    const response = await slowUpload(front.port, '0123456789'.split(''), 100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(response.status).toBe(200);
    expect(upstream.requests.map((r) => r.body)).toEqual(['0123456789']);
  });

  it('answers 200 to a slow but steady upload with a Content-Length that lasts longer than timeoutMs', async () => {
    const upstream = await track(recorder());
    const front = await track(listen(toNodeHandler(createProxy({ target: upstream.origin, timeoutMs: 500 }))));
    const started = Date.now();
    const response = await slowUpload(front.port, '0123456789'.split(''), 100, { sized: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(response.status).toBe(200);
    expect(upstream.requests.map((r) => r.body)).toEqual(['0123456789']);
  });

  it('answers 504 when the upstream takes a whole upload with a Content-Length and then never answers', async () => {
    const hanging = await track(listen((req) => req.resume()));
    const front = await track(listen(toNodeHandler(createProxy({ target: hanging.origin, timeoutMs: 300, name: 'slow' }))));
    const response = await slowUpload(front.port, ['a', 'b', 'c'], 100, { sized: true });
    expect([response.status, JSON.parse(response.body)]).toEqual([504, { error: 'Upstream timed out', target: 'slow' }]);
  });

  it('answers 504 when the upstream takes the whole upload and then never answers', async () => {
    const hanging = await track(listen((req) => req.resume()));
    const front = await track(listen(toNodeHandler(createProxy({ target: hanging.origin, timeoutMs: 300, name: 'slow' }))));
    const response = await slowUpload(front.port, ['a', 'b', 'c'], 100);
    expect([response.status, JSON.parse(response.body)]).toEqual([504, { error: 'Upstream timed out', target: 'slow' }]);
  });

  it('answers 504 when the upstream stops reading an upload part-way', async () => {
    const stalled = await track(listen((req) => req.pause()));
    const limit = 1024 * 1024 * 1024;
    let produced = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (produced >= limit) return controller.close();
        produced += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const response = await createProxy({ target: stalled.origin, timeoutMs: 300 }).handle(
      new Request('http://front.example/upload', { method: 'POST', body, duplex: 'half' } as RequestInit),
    );
    expect(response.status).toBe(504);
    await response.text();
    expect(produced).toBeLessThan(limit);
  });

  it('answers 504 through toNodeHandler when the upstream stops reading an upload with a Content-Length part-way', async () => {
    const stalled = await track(listen((req) => req.pause()));
    const front = await track(listen(toNodeHandler(createProxy({ target: stalled.origin, timeoutMs: 300 }))));
    const limit = 1024 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024);
    let produced = 0;
    let answered = false;
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(
        { host: '127.0.0.1', port: front.port, path: '/upload', method: 'POST', headers: { 'content-length': String(limit) }, agent: false },
        (res) => {
          answered = true;
          res.resume();
          resolve(res.statusCode ?? 0);
          request.destroy();
        },
      );
      // Destroying the unfinished upload after the answer errors the request; only an earlier error counts.
      request.on('error', (error) => {
        if (!answered) reject(error);
      });
      const pump = () => {
        while (produced < limit && !request.destroyed) {
          produced += chunk.byteLength;
          if (!request.write(chunk)) return void request.once('drain', pump);
        }
      };
      pump();
    });
    expect(status).toBe(504);
    expect(produced).toBeLessThan(limit);
  });
});
