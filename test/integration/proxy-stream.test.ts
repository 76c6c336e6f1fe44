import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createProxy } from '../../src/http/index.js';
import { toNodeHandler } from '../../src/node/index.js';
import { expectNoLeaks, listen, snapshotResources } from '../http/_servers.js';

const TOTAL = Number(process.env.STREAM_MB ?? 200) * 1024 * 1024;
const MAX_GROWTH = 50 * 1024 * 1024;
// Moving 200 MB over loopback with forced GCs takes seconds, many more on a loaded machine.
const STREAM_TIMEOUT_MS = 120_000;

// Memory is measured right after a full GC, so garbage the collector has not reached yet never
// counts: what remains is what the proxy holds. A proxy that buffered the body would hold all of it.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function liveBytes(): number {
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

/**
 * The upstream and the client run in a child process, so this process holds only the front
 * server and the proxy and the memory it holds is the proxy's. The child generates the body in 64 KiB
 * chunks on demand (backpressure), never holding it, and reports the byte count the far side saw.
 */
const CHILD = `
import http from 'node:http';
import { createInterface } from 'node:readline';
const [mode, total] = [process.argv[1], Number(process.argv[2])];
const chunk = Buffer.alloc(64 * 1024, 0x61);
function produce(stream, done) {
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      sent += chunk.byteLength;
      if (!stream.write(chunk)) return void stream.once('drain', pump);
    }
    done();
  };
  pump();
}
const upstream = http.createServer((req, res) => {
  if (mode !== 'download') {
    let bytes = 0;
    req.on('data', (c) => (bytes += c.byteLength));
    req.on('end', () => res.end(JSON.stringify({ bytes })));
  } else {
    res.writeHead(200, { 'content-length': String(total) });
    produce(res, () => res.end());
  }
});
upstream.listen(0, '127.0.0.1', () => console.log(upstream.address().port));
const lines = createInterface({ input: process.stdin });
lines.once('line', (port) => {
  const headers = mode === 'sized-upload' ? { 'content-length': String(total) } : {};
  const request = http.request({ host: '127.0.0.1', port: Number(port), path: '/' + mode, method: mode === 'download' ? 'GET' : 'POST', headers, agent: false }, (res) => {
    let bytes = 0;
    let body = '';
    res.on('data', (c) => { bytes += c.byteLength; if (mode !== 'download') body += c; });
    res.on('end', () => {
      console.log(mode === 'download' ? bytes : JSON.parse(body).bytes);
      lines.close();
      upstream.close();
      upstream.closeAllConnections();
    });
  });
  if (mode !== 'download') produce(request, () => request.end());
  else request.end();
});
`;

let before: Map<string, number>;

beforeEach(() => {
  before = snapshotResources();
});

afterEach(async () => {
  await expectNoLeaks(before);
});

async function streamThroughProxy(mode: 'upload' | 'sized-upload' | 'download'): Promise<{ bytes: number; growth: number }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, mode, String(TOTAL)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const next = () => once(lines, 'line').then(([line]) => String(line));
  const upstreamPort = Number(await next());

  const proxy = createProxy({ target: `http://127.0.0.1:${upstreamPort}` });
  const front = await listen(toNodeHandler(proxy));
  // Warm-up: Node loads its fetch implementation on first use, which is one-off and independent
  // of body size, so a generated 32 MB body first brings the process to its working set, and the
  // 200 MB body must then add less than MAX_GROWTH.
  let warmed = 0;
  const warmBody = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (warmed >= 32 * 1024 * 1024) return controller.close();
      warmed += 64 * 1024;
      controller.enqueue(new Uint8Array(64 * 1024));
    },
  });
  const warmUp = await proxy.handle(
    new Request('http://front.example/warm-up', { method: 'POST', body: warmBody, duplex: 'half' } as RequestInit),
  );
  await warmUp.arrayBuffer();
  const start = liveBytes();
  let peak = start;
  const sampler = setInterval(() => {
    peak = Math.max(peak, liveBytes());
  }, 250);
  try {
    child.stdin.write(`${front.port}\n`);
    const bytes = Number(await next());
    peak = Math.max(peak, liveBytes());
    return { bytes, growth: peak - start };
  } finally {
    clearInterval(sampler);
    lines.close();
    child.stdin.end();
    await exited;
    await front.close();
  }
}

it('streams a 200 MB upload through the proxy with under 50 MB more held in memory (GC forced)', async () => {
  const { bytes, growth } = await streamThroughProxy('upload');
  expect(bytes).toBe(TOTAL);
  expect(growth, `live memory grew ${(growth / 1048576).toFixed(1)} MB`).toBeLessThan(MAX_GROWTH);
}, STREAM_TIMEOUT_MS);

it('streams a 200 MB upload with a Content-Length through the proxy with under 50 MB more held in memory (GC forced)', async () => {
  const { bytes, growth } = await streamThroughProxy('sized-upload');
  expect(bytes).toBe(TOTAL);
  expect(growth, `live memory grew ${(growth / 1048576).toFixed(1)} MB`).toBeLessThan(MAX_GROWTH);
}, STREAM_TIMEOUT_MS);

it('streams a 200 MB download through the proxy with under 50 MB more held in memory (GC forced)', async () => {
  const { bytes, growth } = await streamThroughProxy('download');
  expect(bytes).toBe(TOTAL);
  expect(growth, `live memory grew ${(growth / 1048576).toFixed(1)} MB`).toBeLessThan(MAX_GROWTH);
}, STREAM_TIMEOUT_MS);
