import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { createProxy, type ProxyOptions } from '../../src/http/index.js';
import { toNodeHandler } from '../../src/node/index.js';
import { listen, recorder, sendRaw, trackServers, type Running } from '../http/_servers.js';

// Runs on the default transport of the test run: undici, or fetch with SWITCHYARD_TRANSPORT=fetch.

const track = trackServers();

/**
 * An upstream that answers every request it reads (headers only; requests carry no body here)
 * with `response`, byte for byte: for answers no HTTP server library will write.
 */
async function rawUpstream(response: string): Promise<Running> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      while (buffered.includes('\r\n\r\n')) {
        buffered = buffered.slice(buffered.indexOf('\r\n\r\n') + 4);
        socket.write(response, 'latin1');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    server: server as unknown as http.Server,
    port,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function front(options: ProxyOptions): Promise<Running> {
  return track(listen(toNodeHandler(createProxy(options))));
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Sends requests one after another over one keep-alive connection. */
async function sequential(port: number, requests: { path: string; method?: string }[]): Promise<Answer[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const answers: Answer[] = [];
  const sockets = new Set<net.Socket>();
  try {
    for (const request of requests) {
      answers.push(
        await new Promise<Answer>((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port, agent, path: request.path, method: request.method ?? 'GET' }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (body += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
          });
          req.on('socket', (socket) => sockets.add(socket));
          req.on('error', reject);
          req.end();
        }),
      );
    }
  } finally {
    agent.destroy();
  }
  return answers;
}

describe('answers without content', () => {
  it('forwards a 205 without its body and with Content-Length: 0, so a keep-alive client can send the next request', async () => {
    const upstream = await track(rawUpstream('HTTP/1.1 205 Reset Content\r\nContent-Length: 11\r\n\r\nhello world'));
    const proxy = await front({ target: upstream.origin });
    const answers = await sequential(proxy.port, [{ path: '/a' }, { path: '/b' }]);
    expect(answers.map((a) => [a.status, a.headers['content-length'], a.body])).toEqual([
      [205, '0', ''],
      [205, '0', ''],
    ]);
  }, 10_000);

  it.each([204, 304])('forwards a %i without a body or a Content-Length', async (status) => {
    const upstream = await track(rawUpstream(`HTTP/1.1 ${status} X\r\nContent-Length: 11\r\nETag: "v1"\r\n\r\n`));
    const proxy = await front({ target: upstream.origin });
    const answers = await sequential(proxy.port, [{ path: '/a' }, { path: '/b' }]);
    expect(answers.map((a) => [a.status, a.headers['content-length'], a.headers.etag, a.body])).toEqual([
      [status, undefined, '"v1"', ''],
      [status, undefined, '"v1"', ''],
    ]);
  }, 10_000);

  it("answers HEAD without a body and keeps the upstream's Content-Length, which describes the GET answer", async () => {
    const upstream = await track(recorder((_req, res) => res.writeHead(200, { 'content-length': '11' }).end()));
    const proxy = await front({ target: upstream.origin });
    const answers = await sequential(proxy.port, [{ path: '/a', method: 'HEAD' }, { path: '/b', method: 'HEAD' }]);
    expect(answers.map((a) => [a.status, a.headers['content-length'], a.body])).toEqual([
      [200, '11', ''],
      [200, '11', ''],
    ]);
  }, 10_000);
});

describe('request framing', () => {
  it('forwards a request with both Transfer-Encoding and Content-Length without the Content-Length (RFC 9112 §6.3)', async () => {
    const upstream = await track(recorder());
    // Node's strict parser refuses such a request itself; a lenient server in front lets it through.
    const proxy = await track(listen(toNodeHandler(createProxy({ target: upstream.origin })), { insecureHTTPParser: true }));
    const head = await sendRaw(
      proxy.port,
      'POST /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n' +
        '5\r\nhello\r\n0\r\n\r\n',
    );
    expect(head.startsWith('HTTP/1.1 200')).toBe(true);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.body).toBe('hello');
    expect(upstream.requests[0]!.headers['content-length']).toBeUndefined();
  });
});

describe('unusable upstream answers', () => {
  it.each([
    ['a status above 599', 'HTTP/1.1 600 Weird\r\nContent-Length: 0\r\n\r\n'],
    ['an invalid header name', 'HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n'],
    ['a header name with a non-token character', 'HTTP/1.1 200 OK\r\nx(y): 1\r\nContent-Length: 0\r\n\r\n'],
  ])('answers 502 to %s', async (_case, response) => {
    const upstream = await track(rawUpstream(response));
    const statuses: number[] = [];
    const proxy = await front({ target: upstream.origin, name: 'odd', on: { error: (state) => void statuses.push(state.status) } });
    const [answer] = await sequential(proxy.port, [{ path: '/x' }]);
    expect(answer!.status).toBe(502);
    expect(JSON.parse(answer!.body)).toEqual({ error: 'Upstream unreachable', target: 'odd' });
    expect(statuses).toEqual([502]);
  });
});

describe('forwarded values', () => {
  it('sends no X-Forwarded-Host (and no Forwarded host=) for an HTTP/1.0 request without Host', async () => {
    const upstream = await track(recorder());
    const proxy = await front({ target: upstream.origin, forwarded: true });
    const head = await sendRaw(proxy.port, 'GET /x HTTP/1.0\r\n\r\n');
    expect(head.startsWith('HTTP/1.1 200')).toBe(true);
    const headers = upstream.requests[0]!.headers;
    expect(headers['x-forwarded-host']).toBeUndefined();
    expect(headers.forwarded).toBe('for=127.0.0.1;proto=http');
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it("keeps a trusted proxy's forwarding headers and protectedHeaders when the client's Connection names them", async () => {
    const upstream = await track(recorder());
    const proxy = await front({ target: upstream.origin, trustProxy: ['127.0.0.1'], protectedHeaders: ['X-Authenticated-User'] });
    await sendRaw(
      proxy.port,
      'GET /x HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 203.0.113.9\r\nX-Authenticated-User: alice\r\nX-Other: 1\r\n' +
        'Connection: close, x-forwarded-for, x-authenticated-user, x-other\r\n\r\n',
    );
    const headers = upstream.requests[0]!.headers;
    expect(headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(headers['x-authenticated-user']).toBe('alice');
    expect(headers['x-other']).toBeUndefined();
  });

  it('still strips a Connection-named header that is not protected', async () => {
    const upstream = await track(recorder());
    const proxy = await front({ target: upstream.origin });
    await sendRaw(proxy.port, 'GET /x HTTP/1.1\r\nHost: a\r\nX-Authenticated-User: alice\r\nConnection: close, x-authenticated-user\r\n\r\n');
    expect(upstream.requests[0]!.headers['x-authenticated-user']).toBeUndefined();
  });
});

describe('an answer before the upload ended', () => {
  it('answers with Connection: close and closes the client connection instead of waiting for the rest', async () => {
    const upstream = await track(
      listen((req, res) => {
        req.on('error', () => {});
        res.writeHead(413, { 'content-type': 'text/plain' }).end('too large');
      }),
    );
    const proxy = await front({ target: upstream.origin });
    const socket = net.connect(proxy.port, '127.0.0.1');
    socket.setEncoding('latin1');
    let received = '';
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => {});
    // A large declared body of which only the first bytes are ever sent.
    socket.write('POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n' + 'x'.repeat(1000));
    await new Promise<void>((resolve) => socket.once('end', resolve));
    socket.destroy();
    expect(received.startsWith('HTTP/1.1 413')).toBe(true);
    expect(received.toLowerCase()).toContain('connection: close');
    expect(received).toContain('too large');
  }, 10_000);
});
