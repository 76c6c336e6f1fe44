import http from 'node:http';
import type { AddressInfo } from 'node:net';
import replyFrom from '@fastify/reply-from';
import Fastify from 'fastify';
import { createProxy, toNodeHandler } from 'switchyard/http';
const upstream = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.setHeader('content-type', 'application/json'); res.end('{"ok":true}'); }); });
await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
const target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
let port: number; let closeIt: () => Promise<unknown>;
if (process.argv[2] === 'r') {
  const fastify = Fastify({ logger: false });
  await fastify.register(replyFrom, { base: target });
  fastify.get('/*', (request, reply) => reply.from(request.url));
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  port = (fastify.server.address() as AddressInfo).port; closeIt = () => fastify.close();
} else {
  const ours = http.createServer(toNodeHandler(createProxy({ target })));
  await new Promise<void>((r) => ours.listen(0, '127.0.0.1', r));
  port = (ours.address() as AddressInfo).port; closeIt = async () => { ours.close(); ours.closeAllConnections(); };
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
let next = 0; const total = Number(process.argv[3] ?? 20000);
const one = () => new Promise<void>((resolve, reject) => { http.get({ host: '127.0.0.1', port, path: `/items/${next}?q=1`, agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject); });
const cpu0 = process.cpuUsage(); const t = performance.now();
await Promise.all(Array.from({ length: 20 }, async () => { while (next < total) { next++; await one(); } }));
{ const c = process.cpuUsage(cpu0); console.log(process.argv[2], (total / ((performance.now() - t) / 1000)).toFixed(0), "rps", ((c.user + c.system) / total).toFixed(1), "cpu us/req"); }
agent.destroy(); await closeIt(); upstream.close(); upstream.closeAllConnections();
