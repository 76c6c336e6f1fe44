import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isSwitchyardError, type SwitchyardErrorCode } from '../../src/index.js';
import type { DemoContext, DemoData } from './bff.js';
import type { World } from './scenarios.js';

/** How each error code reaches an HTTP client: the code and instance ids, never upstream text. */
const STATUS: Partial<Record<SwitchyardErrorCode, number>> = {
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  NO_INSTANCES: 404,
  ALL_FAILED: 502,
  REQUIRED_INSTANCE_FAILED: 502,
  DEADLINE_EXCEEDED: 504,
  ABORTED: 499,
  INVALID_INPUT: 400,
};

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(text);
}

/**
 * The BFF as an HTTP server (`npm run demo -- --serve`). `?fault.<instance>=delay=600` (or
 * `status=503`, `reset`) injects a fault into one instance; `?report=1` adds the per-instance
 * report. A client that hangs up aborts its fan-out.
 */
export async function serveBff(world: World, port = 0): Promise<{ url: string; close(): Promise<void> }> {
  const { fanout, ops } = world.bff;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://bff');
    const faults: Record<string, string> = {};
    for (const [key, value] of url.searchParams) if (key.startsWith('fault.')) faults[key.slice('fault.'.length)] = value;
    const user = typeof req.headers['x-user'] === 'string' ? req.headers['x-user'] : 'alice';
    const context: DemoContext = { user, faults };
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client hung up'));
    });
    const signal = controller.signal;
    const group = /^\/groups\/([^/]+)$/.exec(url.pathname);
    const data: DemoData = { q: url.searchParams.get('q') ?? '', id: group ? decodeURIComponent(group[1]!) : '' };

    let call: Promise<{ value: unknown; report: unknown }>;
    if (req.method !== 'GET') return send(res, 405, { error: 'GET only' });
    if (url.pathname === '/search') call = fanout.runDetailed({ ...ops.search, data, context, signal });
    else if (group !== null) call = fanout.runDetailed({ ...ops.getGroup, data, context, signal });
    else if (url.pathname === '/dashboard') call = fanout.runDetailed({ ...ops.dashboard, data, context, signal });
    else if (url.pathname === '/profile') call = fanout.runDetailed({ ...ops.profile, data, context, signal });
    else return send(res, 404, { error: 'routes: /search?q=, /groups/:id, /dashboard, /profile' });

    try {
      const { value, report } = await call;
      send(res, 200, url.searchParams.get('report') === '1' ? { value, report } : value);
    } catch (error) {
      if (isSwitchyardError(error)) send(res, STATUS[error.code] ?? 500, error.toJSON());
      else send(res, 500, { code: 'INTERNAL', message: 'Internal error' });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
