import { once } from 'node:events';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Transport, TransportRequest, TransportResponse } from '../../../src/http/index.js';
import { expectNoLeaks, listen, recorder, refusedPort, snapshotResources, type Running } from '../_servers.js';

async function text(response: TransportResponse): Promise<string> {
  let out = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body) out += decoder.decode(chunk, { stream: true });
  return out + decoder.decode();
}

function get(url: string, init: Partial<TransportRequest> = {}): TransportRequest {
  return { url: new URL(url), method: 'GET', headers: {}, body: null, signal: new AbortController().signal, ...init };
}

/** The behaviour every `Transport` must have; run by each implementation's test file. */
export function transportCases(name: string, create: () => Transport): void {
  describe(`${name} transport`, () => {
    let before: Map<string, number>;
    let transport: Transport;
    const running: Running[] = [];
    async function track<T extends Running>(server: Promise<T>): Promise<T> {
      const value = await server;
      running.push(value);
      return value;
    }

    beforeEach(() => {
      before = snapshotResources();
      transport = create();
    });

    afterEach(async () => {
      await transport.close();
      for (const server of running.splice(0).reverse()) await server.close();
      await expectNoLeaks(before);
    });

    it('sends method, path, query and headers, and resolves with status, lower-case headers and the body', async () => {
      const upstream = await track(
        recorder((_req, res, recorded) => {
          res.writeHead(201, { 'X-Echo': recorded.headers['x-test'] ?? '', 'Content-Type': 'text/plain' });
          res.end(`${recorded.method} ${recorded.url}`);
        }),
      );
      const response = await transport.request(get(`${upstream.origin}/a/b?c=1`, { method: 'DELETE', headers: { 'x-test': 'yes' } }));
      expect(response.status).toBe(201);
      expect(response.headers['x-echo']).toBe('yes');
      expect(response.headers['content-type']).toBe('text/plain');
      expect(await text(response)).toBe('DELETE /a/b?c=1');
    });

    it('sends a string, a byte array and a streamed body whole', async () => {
      const upstream = await track(recorder((_req, res, recorded) => res.end(recorded.body)));
      async function* chunks() {
        yield new TextEncoder().encode('str');
        yield new TextEncoder().encode('eamed');
      }
      const bodies = ['plain', new TextEncoder().encode('bytes'), chunks()];
      const answers: string[] = [];
      for (const body of bodies) {
        answers.push(await text(await transport.request(get(`${upstream.origin}/`, { method: 'POST', body }))));
      }
      expect(answers).toEqual(['plain', 'bytes', 'streamed']);
      expect(upstream.requests.map((r) => r.headers['transfer-encoding'])).toEqual([undefined, undefined, 'chunked']);
    });

    it('keeps repeated Set-Cookie headers apart', async () => {
      const upstream = await track(recorder((_req, res) => res.setHeader('set-cookie', ['a=1', 'b=2']).end()));
      const response = await transport.request(get(upstream.origin));
      expect(response.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      response.cancel();
    });

    it('never follows a redirect', async () => {
      const elsewhere = await track(recorder());
      const upstream = await track(recorder((_req, res) => res.writeHead(302, { location: `${elsewhere.origin}/x` }).end()));
      const response = await transport.request(get(upstream.origin));
      expect(response.status).toBe(302);
      expect(response.headers.location).toBe(`${elsewhere.origin}/x`);
      response.cancel();
      expect(elsewhere.requests).toEqual([]);
    });

    it('rejects with a TypeError when nothing listens', async () => {
      const port = await refusedPort();
      await expect(transport.request(get(`http://127.0.0.1:${port}/`))).rejects.toBeInstanceOf(TypeError);
    });

    it('rejects with a TypeError when the answer is not HTTP', async () => {
      const sockets: net.Socket[] = [];
      const server = net.createServer((socket) => {
        sockets.push(socket);
        socket.on('error', () => {});
        socket.end('SSH-2.0-OpenSSH\r\n\r\n');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as net.AddressInfo).port;
      const close = () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        });
      running.push({ server: server as never, port, origin: '', close });
      await expect(transport.request(get(`http://127.0.0.1:${port}/`))).rejects.toBeInstanceOf(TypeError);
    });

    it("rejects with the signal's reason when aborted before the answer, and closes the upstream socket", async () => {
      let upstreamClosed!: Promise<unknown>;
      const upstream = await track(
        listen((req) => {
          upstreamClosed = once(req.socket, 'close');
        }),
      );
      const controller = new AbortController();
      const pending = transport.request(get(upstream.origin, { signal: controller.signal }));
      while (upstreamClosed === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
      const reason = new Error('stop');
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      await upstreamClosed;
    });

    it('fails the body when aborted while it is read', async () => {
      const upstream = await track(
        listen((_req, res) => {
          res.writeHead(200);
          res.write('first');
        }),
      );
      const controller = new AbortController();
      const response = await transport.request(get(upstream.origin, { signal: controller.signal }));
      const iterator = response.body[Symbol.asyncIterator]();
      await iterator.next();
      controller.abort(new Error('stop'));
      await expect(iterator.next()).rejects.toBeDefined();
    });

    it('releases an unread body with cancel()', async () => {
      let upstreamClosed!: Promise<unknown>;
      const upstream = await track(
        listen((_req, res) => {
          upstreamClosed = once(res, 'close');
          res.writeHead(200);
          res.write('x'.repeat(1024 * 1024));
        }),
      );
      const response = await transport.request(get(upstream.origin));
      response.cancel();
      await upstreamClosed;
    });

    it('refuses requests after close()', async () => {
      const upstream = await track(recorder());
      await transport.close();
      await expect(transport.request(get(upstream.origin))).rejects.toBeDefined();
    });
  });
}
