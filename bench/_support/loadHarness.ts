/**
 * The far side of the proxy benchmark, run as a child process so that the proxies under test have
 * their process to themselves: the upstream every proxy forwards to (reads the body, answers 11
 * bytes of JSON) and the load generator. Prints the upstream's port, then answers each line
 * `port method requests concurrency` on stdin with one line of JSON: `{ rps, latencies }`.
 */
import http from 'node:http';
import { createInterface } from 'node:readline';
import { listen } from './servers.js';

const MIB = Buffer.alloc(1024 * 1024, 'x');

const upstream = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
});

/** Sends `total` requests, `concurrency` at a time over keep-alive sockets. */
async function load(port: number, method: string, total: number, concurrency: number): Promise<{ rps: number; latencies: number[] }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let next = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      const request = http.request({ host: '127.0.0.1', port, path: `/items/${next}?q=1`, method, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
          latencies.push(performance.now() - started);
          resolve();
        });
      });
      request.on('error', reject);
      request.end(method === 'POST' ? MIB : undefined);
    });
  const worker = async () => {
    while (next < total) {
      next++;
      await one();
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { rps: total / seconds, latencies };
}

process.stdout.write(`${await listen(upstream)}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const [port, method, total, concurrency] = line.split(' ');
  const result = await load(Number(port), method!, Number(total), Number(concurrency));
  process.stdout.write(`${JSON.stringify({ rps: result.rps, latencies: result.latencies.map((ms) => Math.round(ms * 1000) / 1000) })}\n`);
}
upstream.close();
upstream.closeAllConnections();
