/**
 * The Node adapters (`switchyard/node`) and `createProxy` (`switchyard/http`) are separate bundles,
 * and on Node `switchyard/http` resolves to a build of its own: what the adapters learn about a
 * proxy or a request must still reach it. Checked on the built files, as Node loads them.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type * as Http from '../../src/http/index.js';
import type * as Node from '../../src/node/index.js';
import { expectNoLeaks, listen, recorder, refusedPort, send, sendRaw, snapshotResources, type Running } from '../http/_servers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = (file: string) => join(root, 'dist', file);

interface Entries {
  http: typeof Http;
  node: typeof Node;
}

const formats: [string, () => Promise<Entries>][] = [
  [
    'import',
    async () => ({
      http: (await import(pathToFileURL(dist('http.node.js')).href)) as typeof Http,
      node: (await import(pathToFileURL(dist('node.js')).href)) as typeof Node,
    }),
  ],
  [
    'require',
    async () => {
      const require = createRequire(import.meta.url);
      return { http: require(dist('http.node.cjs')) as typeof Http, node: require(dist('node.cjs')) as typeof Node };
    },
  ],
];

let before: Map<string, number>;
const running: Running[] = [];

beforeAll(async () => {
  if (!existsSync(dist('node.js')) || !existsSync(dist('http.node.cjs'))) await promisify(execFile)('npx', ['tsup'], { cwd: root });
}, 120_000);

beforeEach(() => {
  before = snapshotResources();
});

afterEach(async () => {
  for (const server of running.splice(0).reverse()) await server.close();
  await expectNoLeaks(before);
});

describe.each(formats)('switchyard/node with switchyard/http, loaded with %s', (_format, load) => {
  it("toNodeHandler forwards through the proxy's own step (no web Request in between)", async () => {
    const { http, node } = await load();
    const seen: (ReadableStream | null)[] = [];
    const proxy = http.createProxy({ target: `http://127.0.0.1:${await refusedPort()}`, on: { error: (state) => void seen.push(state.request.body) } });
    const front = await listen(node.toNodeHandler(proxy));
    running.push(front);
    const response = await send(front.port, { path: '/x', method: 'POST', body: 'hello' });
    expect(response.status).toBe(502);
    // Through the forwarding step, on.error's request is built from the Node request without its
    // body; through toWebRequest it would be the streaming web Request.
    expect(seen).toEqual([null]);
  });

  it('proxy.handle sends no X-Forwarded-Host for a request toWebRequest gave a made-up host', async () => {
    const { http, node } = await load();
    const upstream = await recorder();
    running.push(upstream);
    const proxy = http.createProxy({ target: upstream.origin });
    const front = await listen((req, res) => {
      void proxy
        .handle(node.toWebRequest(req, res), { path: req.url ?? '/', clientAddress: node.clientAddress(req) })
        .then((answer) => node.sendWebResponse(res, answer));
    });
    running.push(front);
    const head = await sendRaw(front.port, 'GET /x HTTP/1.0\r\n\r\n');
    expect(head.startsWith('HTTP/1.1 200')).toBe(true);
    expect(upstream.requests[0]!.headers['x-forwarded-host']).toBeUndefined();
    expect(upstream.requests[0]!.headers['x-forwarded-for']).toBe('127.0.0.1');
  });
});
