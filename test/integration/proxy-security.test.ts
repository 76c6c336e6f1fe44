import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProxy, type Proxy } from '../../src/http/index.js';
import { clientAddress, sendWebResponse, toNodeHandler, toWebRequest } from '../../src/node/index.js';
import { expectNoLeaks, listen, recorder, send, sendRaw, snapshotResources, type Recorded, type Running } from '../http/_servers.js';

let upstream: Running & { requests: Recorded[] };
let evil: Running & { requests: Recorded[] };
let front: Running;
let proxy: Proxy;
let before: Map<string, number>;

beforeEach(async () => {
  before = snapshotResources();
  upstream = await recorder();
  evil = await recorder();
  proxy = createProxy({ target: `${upstream.origin}/base`, name: 'api' });
  front = await listen(toNodeHandler(proxy));
});

afterEach(async () => {
  await front.close();
  await upstream.close();
  await evil.close();
  await expectNoLeaks(before);
});

async function expectRefused(path: string): Promise<void> {
  const response = await send(front.port, { path });
  expect(response.status).toBe(400);
  expect(JSON.parse(response.body)).toEqual({ error: 'Bad request', target: 'api' });
  expect(upstream.requests).toEqual([]);
  expect(evil.requests).toEqual([]);
}

describe('paths that would leave the target', () => {
  it('forwards an ordinary path with its query under the target base path', async () => {
    const response = await send(front.port, { path: '/users/42?fields=name&x=%2F' });
    expect(response.status).toBe(200);
    expect(upstream.requests.map((r) => r.url)).toEqual(['/base/users/42?fields=name&x=%2F']);
  });

  it('refuses a prefix escape through an Express mount path instead of reaching /admin', async () => {
    const app = express();
    app.use('/api', toNodeHandler(proxy));
    const mounted = await listen(app);
    try {
      const ok = await send(mounted.port, { path: '/api/users' });
      expect(ok.status).toBe(200);
      const escape = await send(mounted.port, { path: '/api/../admin' });
      expect(escape.status).toBe(400);
      expect(upstream.requests.map((r) => r.url)).toEqual(['/base/users']);
    } finally {
      await mounted.close();
    }
  });

  it('refuses a raw dot-dot segment', async () => {
    await expectRefused('/../admin');
  });

  it('refuses a percent-encoded dot-dot segment', async () => {
    await expectRefused('/%2e%2e/admin');
  });

  it('refuses mixed-case encoded dots followed by an encoded slash', async () => {
    await expectRefused('/%2e%2E%2fadmin');
  });

  it('refuses a double-encoded dot-dot segment', async () => {
    await expectRefused('/%252e%252e/admin');
  });

  it('refuses an encoded slash inside a segment', async () => {
    await expectRefused('/users%2F..%2Fadmin');
  });

  it('refuses backslash dot segments', async () => {
    await expectRefused('/..\\..\\admin');
  });

  it('refuses a backslash that would start another authority', async () => {
    await expectRefused(`/\\127.0.0.1:${evil.port}/steal`);
    await expectRefused('/\\evil.example/steal');
  });

  it('refuses a protocol-relative path naming another host', async () => {
    await expectRefused(`//127.0.0.1:${evil.port}/steal`);
    await expectRefused('//evil.example/steal');
  });

  it('refuses an absolute URL smuggled into the path', async () => {
    await expectRefused(`/http://127.0.0.1:${evil.port}/steal`);
    await expectRefused('/http://evil.example/steal');
  });

  it('refuses an absolute-form request target naming another host', async () => {
    const head = await sendRaw(front.port, `GET http://127.0.0.1:${evil.port}/steal HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(head.startsWith('HTTP/1.1 400')).toBe(true);
    expect(upstream.requests).toEqual([]);
    expect(evil.requests).toEqual([]);
  });
});

describe('headers that would inject or overflow', () => {
  it('never forwards a header value with a bare CR that tries to start a new header', async () => {
    const head = await sendRaw(front.port, 'GET /x HTTP/1.1\r\nHost: a\r\nX-A: v\rInjected: yes\r\nConnection: close\r\n\r\n');
    expect(head.startsWith('HTTP/1.1 400')).toBe(true);
    expect(upstream.requests).toEqual([]);
  });

  it('never forwards a header name containing a space or separator', async () => {
    const head = await sendRaw(front.port, 'GET /x HTTP/1.1\r\nHost: a\r\nX A\r\n: v\r\nConnection: close\r\n\r\n');
    expect(head.startsWith('HTTP/1.1 400')).toBe(true);
    expect(upstream.requests).toEqual([]);
  });

  it('refuses a control character that a lenient front-end parser let through', async () => {
    const lenient = await listen(toNodeHandler(proxy), { insecureHTTPParser: true });
    try {
      const head = await sendRaw(lenient.port, 'GET /x HTTP/1.1\r\nHost: a\r\nX-A: v\u0000x\r\nConnection: close\r\n\r\n');
      expect(head.startsWith('HTTP/1.1 400')).toBe(true);
      expect(head).toContain('{"error":"Bad request","target":"api"}');
      expect(upstream.requests).toEqual([]);
    } finally {
      await lenient.close();
    }
  });

  it('ignores a client address carrying CRLF instead of writing it into a header', async () => {
    const response = await proxy.handle(new Request('http://front.example/x'), {
      clientAddress: '198.51.100.1\r\nInjected: yes',
    });
    expect(response.status).toBe(200);
    await response.text();
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.headers['injected']).toBeUndefined();
    expect(upstream.requests[0]!.headers['x-forwarded-for']).toBeUndefined();
  });

  it('answers 431 for a header block larger than maxHeaderBytes and forwards nothing', async () => {
    const roomy = await listen(toNodeHandler(proxy), { maxHeaderSize: 65_536 });
    try {
      const response = await send(roomy.port, { path: '/x', headers: { 'x-big': 'a'.repeat(20_000) } });
      expect(response.status).toBe(431);
      expect(JSON.parse(response.body)).toEqual({ error: 'Request header fields too large', target: 'api' });
      expect(upstream.requests).toEqual([]);
    } finally {
      await roomy.close();
    }
  });

  it('lets a header block just under maxHeaderBytes through', async () => {
    const roomy = await listen(toNodeHandler(proxy), { maxHeaderSize: 65_536 });
    try {
      const response = await send(roomy.port, { path: '/x', headers: { 'x-big': 'a'.repeat(10_000) } });
      expect(response.status).toBe(200);
      expect(upstream.requests[0]!.headers['x-big']).toHaveLength(10_000);
    } finally {
      await roomy.close();
    }
  });
});

describe('redirects', () => {
  it('passes an upstream redirect to the client instead of following it to another origin', async () => {
    const redirecting = await recorder((_req, res) => {
      res.statusCode = 302;
      res.setHeader('location', `${evil.origin}/steal`);
      res.end();
    });
    try {
      const response = await createProxy({ target: redirecting.origin }).handle(new Request('http://front.example/x'));
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe(`${evil.origin}/steal`);
      expect(evil.requests).toEqual([]);
    } finally {
      await redirecting.close();
    }
  });
});

describe('Host headers that would move the path or the forwarded host', () => {
  const crafted = ['a/admin/delete?x=', 'a/admin/delete#', 'a#', 'u@h', 'u@h/admin/delete?', 'a:1/admin/delete?x=', '[::1]/admin/delete?', 'a\\admin'];

  it('never forwards outside /public when the app checks req.url and proxies the Request URL, whatever the Host', async () => {
    // The app's own rule: only /public may be proxied. It forwards the converted Request's URL (no
    // `path`), so that URL must keep the path the app checked.
    const app = await listen((req, res) => {
      if (!(req.url ?? '').startsWith('/public')) {
        res.statusCode = 403;
        res.end();
        return;
      }
      const request = toWebRequest(req, res);
      const address = clientAddress(req);
      void proxy
        .handle(request, address === undefined ? {} : { clientAddress: address })
        .then((response) => sendWebResponse(res, response));
    });
    try {
      for (const host of crafted) {
        const response = await send(app.port, { path: '/public/page', headers: { host } });
        expect(response.status, host).toBe(200);
      }
      expect(upstream.requests.map((r) => r.url)).toEqual(crafted.map(() => '/base/public/page'));
      expect(evil.requests).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('gives the converted Request the Host only when it is a plain host[:port]', async () => {
    const seen: string[] = [];
    const app = await listen((req, res) => {
      seen.push(toWebRequest(req).url);
      res.end();
    });
    try {
      for (const host of ['api.example:8443', 'a/admin/delete?x=', '[::1]:80', 'u@h', '127.1']) {
        await send(app.port, { path: '/public/page?q=1', headers: { host } });
      }
      expect(seen).toEqual([
        'http://api.example:8443/public/page?q=1',
        'http://localhost/public/page?q=1',
        'http://[::1]/public/page?q=1',
        'http://localhost/public/page?q=1',
        'http://localhost/public/page?q=1',
      ]);
    } finally {
      await app.close();
    }
  });

  it('drops a fragment from the request target instead of encoding it into the query', async () => {
    const seen: string[] = [];
    const app = await listen((req, res) => {
      seen.push(toWebRequest(req).url);
      res.end();
    });
    try {
      await send(app.port, { path: '/public/page?q=1#/../admin', headers: { host: 'api.example' } });
      expect(seen).toEqual(['http://api.example/public/page?q=1']);
    } finally {
      await app.close();
    }
  });

  it('leaves X-Forwarded-Host and the Forwarded host out for a crafted Host instead of forwarding it', async () => {
    const withForwarded = await listen(toNodeHandler(createProxy({ target: upstream.origin, forwarded: true })));
    try {
      for (const host of ['a/admin/delete?x=', 'u@h', 'a#']) {
        await send(withForwarded.port, { path: '/x', headers: { host } });
      }
      await send(withForwarded.port, { path: '/x', headers: { host: 'api.example:8443' } });
      expect(upstream.requests.map((r) => [r.headers['x-forwarded-host'], r.headers.forwarded])).toEqual([
        [undefined, 'for=127.0.0.1;proto=http'],
        [undefined, 'for=127.0.0.1;proto=http'],
        [undefined, 'for=127.0.0.1;proto=http'],
        ['api.example:8443', 'for=127.0.0.1;host="api.example:8443";proto=http'],
      ]);
    } finally {
      await withForwarded.close();
    }
  });
});

describe('headers that would override the route or the client address', () => {
  const overrides = {
    'x-original-url': '/admin/delete',
    'x-rewrite-url': '/admin/delete',
    'x-forwarded-prefix': '/admin',
    'x-forwarded-path': '/admin/delete',
    'x-forwarded-server': 'internal.example',
    'true-client-ip': '10.0.0.1',
    'x-client-ip': '10.0.0.1',
    'x-original-forwarded-for': '10.0.0.1',
    'x-forwarded-scheme': 'https',
    'x-forwarded-ssl': 'on',
    'x-forwarded-uri': '/admin/delete',
    'x-host': 'internal.example',
    'x-cluster-client-ip': '10.0.0.1',
    'cf-connecting-ip': '10.0.0.1',
    'fastly-client-ip': '10.0.0.1',
  };

  it("never lets an untrusted client's X-Original-URL or similar overrides reach the upstream", async () => {
    const response = await send(front.port, { path: '/public/page', headers: overrides });
    expect(response.status).toBe(200);
    const headers = upstream.requests[0]!.headers;
    expect(Object.keys(overrides).filter((name) => headers[name] !== undefined)).toEqual([]);
    expect(upstream.requests[0]!.url).toBe('/base/public/page');
  });

  it('passes them on from a trusted proxy', async () => {
    const trusting = await listen(toNodeHandler(createProxy({ target: upstream.origin, trustProxy: ['127.0.0.1'] })));
    try {
      await send(trusting.port, { path: '/x', headers: overrides });
      const headers = upstream.requests[0]!.headers;
      expect(Object.fromEntries(Object.keys(overrides).map((name) => [name, headers[name]]))).toEqual(overrides);
    } finally {
      await trusting.close();
    }
  });
});
