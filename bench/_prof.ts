import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFanout, mergeAll, staticRouter } from 'switchyard';
import { httpWorker } from 'switchyard/http';
import { Agent, request } from 'undici';
const payload = JSON.stringify(Array.from({ length: 10 }, (_, i) => ({ id: `item-${i}`, name: `Item number ${i}`, price: i * 3.5, tags: ['a', 'b', 'c'], stock: i * 7 })));
const servers = Array.from({ length: 3 }, () => http.createServer((_q, r) => { r.writeHead(200, { 'content-type': 'application/json' }); r.end(payload); }));
const ports = await Promise.all(servers.map((s) => new Promise<number>((res) => s.listen(0, '127.0.0.1', () => res((s.address() as AddressInfo).port)))));
const instances = ports.map((p, i) => ({ id: `u${i}`, url: `http://127.0.0.1:${p}` }));
const fanout = createFanout({ router: staticRouter(instances) });
const worker = httpWorker<unknown[]>({ path: '/items' });
const strategy = mergeAll<unknown[]>();
const dispatcher = new Agent({ connections: 128 });

const contenders: Record<string, () => Promise<unknown>> = {
  u: async () => (await Promise.allSettled(instances.map(async (i) => (await (await request(`${i.url}/items`, { dispatcher })).body.json())))),
  us: async () => { const c = new AbortController(); return await Promise.allSettled(instances.map(async (i) => (await (await request(`${i.url}/items`, { dispatcher, signal: c.signal, headers: { accept: 'application/json' } })).body.json()))) },
  s: () => fanout.run({ operation: 'x', data: undefined, context: undefined, worker, strategy }),
  w: () => Promise.allSettled(instances.map((i) => worker(i, { data: undefined, context: undefined, operation: 'x', signal: new AbortController().signal, attempt: 1, deadline: Date.now() + 10000, hedge: false } as never))),
};
async function run(call: () => Promise<unknown>, total: number) { let n = 0; const t = performance.now(); await Promise.all(Array.from({ length: 50 }, async () => { while (n < total) { n++; await call(); } })); return total / ((performance.now() - t) / 1000); }
const names = process.argv.slice(2);
for (const n of names) await run(contenders[n]!, 500);
const res: Record<string, number[]> = {};
for (let r = 0; r < 4; r++) for (const n of (r % 2 ? [...names].reverse() : names)) (res[n] ??= []).push(await run(contenders[n]!, 2000));
for (const n of names) console.log(n, res[n]!.map((x) => x.toFixed(0)).join(' '));
await dispatcher.close(); for (const s of servers) { s.close(); s.closeAllConnections(); }
