/**
 * The far side of the proxy benchmark, run as a child process so that the proxies under test have
 * their process to themselves: the upstream every proxy forwards to (reads the body, answers 11
 * bytes of JSON) and the load generator. Prints the upstream's port, then answers each line
 * `port method requests concurrency` on stdin with one line of JSON: `{ rps, latencies }`.
 *
 * Both sides speak just enough HTTP/1.1 over raw sockets (keep-alive, `Content-Length` framing,
 * requests written from one prepared buffer), so they cost far less than any proxy: the proxy
 * under test is what limits the throughput, as it would be in production, rather than the load
 * generator. A message framed any other way (chunked) fails the run instead of being misread.
 */
import net from 'node:net';
import { createInterface } from 'node:readline';

const MIB = Buffer.alloc(1024 * 1024, 'x');
const HEAD_END = Buffer.from('\r\n\r\n');
const ANSWER = Buffer.from(
  'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\nconnection: keep-alive\r\n\r\n{"ok":true}',
  'latin1',
);

function bodyLength(head: string): number {
  if (/\r\ntransfer-encoding:/i.test(head)) throw new Error(`the harness reads Content-Length framing only, got: ${head.split('\r\n')[0]}`);
  const match = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  return match === null ? 0 : Number(match[1]);
}

/**
 * Reads HTTP/1.1 messages off a socket, calling `onMessage(head)` once each body has been read. The
 * body is counted, never kept; only a head split across reads is joined.
 */
function readMessages(socket: net.Socket, onMessage: (head: string) => void, onError: (error: Error) => void): void {
  let partial: Buffer | undefined;
  let head = '';
  let left = -1;
  socket.on('data', (chunk: Buffer) => {
    try {
      let at = 0;
      while (at < chunk.length) {
        if (left < 0) {
          const data = partial === undefined ? chunk.subarray(at) : Buffer.concat([partial, chunk.subarray(at)]);
          const end = data.indexOf(HEAD_END);
          if (end === -1) {
            partial = Buffer.from(data);
            return;
          }
          head = data.subarray(0, end).toString('latin1');
          at += end + HEAD_END.length - (partial?.length ?? 0);
          partial = undefined;
          left = bodyLength(head);
        }
        const take = Math.min(left, chunk.length - at);
        left -= take;
        at += take;
        if (left === 0) {
          left = -1;
          onMessage(head);
        }
      }
    } catch (error) {
      onError(error as Error);
    }
  });
}

const connections = new Set<net.Socket>();
const upstream = net.createServer((socket) => {
  connections.add(socket);
  socket.once('close', () => connections.delete(socket));
  socket.setNoDelay(true);
  readMessages(socket, () => socket.write(ANSWER), () => socket.destroy());
});

/** Sends `total` requests, `concurrency` at a time, each connection keeping one in flight. */
async function load(port: number, method: string, total: number, concurrency: number): Promise<{ rps: number; latencies: number[] }> {
  const body = method === 'POST' ? MIB : undefined;
  const head = Buffer.from(
    `${method} /items/1?q=1 HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: keep-alive\r\n${body === undefined ? '' : `content-length: ${body.length}\r\n`}\r\n`,
    'latin1',
  );
  const latencies: number[] = [];
  let sent = 0;
  const connection = () =>
    new Promise<void>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setNoDelay(true);
      let started = 0;
      const fail = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      const next = () => {
        if (sent >= total) {
          socket.end();
          return resolve();
        }
        sent++;
        started = performance.now();
        socket.cork();
        socket.write(head);
        if (body !== undefined) socket.write(body);
        socket.uncork();
      };
      socket.once('connect', next);
      socket.on('error', fail);
      readMessages(
        socket,
        (answer) => {
          if (!answer.startsWith('HTTP/1.1 200')) return fail(new Error(`status line ${answer.split('\r\n')[0]}`));
          latencies.push(performance.now() - started);
          next();
        },
        fail,
      );
    });
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, connection));
  return { rps: total / ((performance.now() - started) / 1000), latencies };
}

await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
process.stdout.write(`${(upstream.address() as net.AddressInfo).port}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const [port, method, total, concurrency] = line.split(' ');
  const result = await load(Number(port), method!, Number(total), Number(concurrency));
  process.stdout.write(`${JSON.stringify({ rps: result.rps, latencies: result.latencies.map((ms) => Math.round(ms * 1000) / 1000) })}\n`);
}
// The proxies' pools still hold keep-alive connections here: close them, so the process exits.
upstream.close();
for (const socket of connections) socket.destroy();
