import http, { type IncomingHttpHeaders, type IncomingMessage, type RequestListener, type ServerOptions, type ServerResponse } from 'node:http';
import net from 'node:net';
import { afterEach, beforeEach } from 'vitest';

export interface Running {
  server: http.Server;
  port: number;
  origin: string;
  close(): Promise<void>;
}

/** Starts a node:http server on 127.0.0.1 with an ephemeral port. */
export async function listen(handler: RequestListener, options: ServerOptions = {}): Promise<Running> {
  const server = http.createServer(options, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    server,
    port,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  bytes: number;
  body: string;
}

/**
 * An upstream that records every request it receives (method, raw URL, headers, body) and then
 * lets `respond` answer; by default it answers 200 with the recorded request as JSON.
 */
export async function recorder(
  respond?: (req: IncomingMessage, res: ServerResponse, recorded: Recorded) => void,
  options: ServerOptions = {},
): Promise<Running & { requests: Recorded[] }> {
  const requests: Recorded[] = [];
  const running = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const recorded: Recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        bytes: body.byteLength,
        body: body.toString('utf8'),
      };
      requests.push(recorded);
      if (respond) return respond(req, res, recorded);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(recorded));
    });
  }, options);
  return Object.assign(running, { requests });
}

export interface ClientResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Sends one request with node:http (no keep-alive, path sent exactly as given). */
export function send(
  port: number,
  options: { path: string; method?: string; headers?: http.OutgoingHttpHeaders; body?: string },
): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, path: options.path, method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Writes raw bytes to a server and returns its first status line (for requests no client library will build). */
export function sendRaw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.includes('\r\n\r\n')) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
    socket.write(text, 'latin1');
  });
}

/** A port that nothing listens on (bound, then released). */
export async function refusedPort(): Promise<number> {
  const running = await listen(() => {});
  await running.close();
  return running.port;
}

function countResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

/** A snapshot of active handles, to compare against after a test. */
export function snapshotResources(): Map<string, number> {
  return countResources();
}

/**
 * Fails unless sockets, servers and timers are back to the snapshot. Closing a socket completes
 * on a later tick, so it waits for the event loop to settle (bounded) before judging.
 */
export async function expectNoLeaks(before: Map<string, number>): Promise<void> {
  const watched = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'];
  let extra: string[] = [];
  for (let round = 0; round < 200; round++) {
    const now = countResources();
    extra = watched.filter((name) => (now.get(name) ?? 0) > (before.get(name) ?? 0)).map(
      (name) => `${name}: ${before.get(name) ?? 0} -> ${now.get(name)}`,
    );
    if (extra.length === 0) return;
    await new Promise((resolve) => setImmediate(resolve));
    if (round > 20) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Resources left behind: ${extra.join(', ')}`);
}

/**
 * For a test file: returns `track`, which keeps a started server; after each test every tracked
 * server is closed (last first) and sockets, servers and timers must be back to where they were.
 */
export function trackServers(): <T extends Running>(server: Promise<T>) => Promise<T> {
  let before: Map<string, number>;
  const running: Running[] = [];
  beforeEach(() => {
    before = snapshotResources();
  });
  afterEach(async () => {
    for (const server of running.splice(0).reverse()) await server.close();
    await expectNoLeaks(before);
  });
  return async (server) => {
    const value = await server;
    running.push(value);
    return value;
  };
}
