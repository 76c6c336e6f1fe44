import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The demo's worker instances: real HTTP servers on 127.0.0.1, one per seed instance (`cloud`,
 * `enterprise-acme`, `enterprise-conf`), each holding its own groups and policies. They follow the
 * seed's hub/worker flow: the BFF sends a short-lived per-instance token and an `x-policy-hint`;
 * the instance checks both and answers 401/403 itself.
 *
 * A request may carry `x-demo-fault` (set by the BFF's demo script) to make the instance answer
 * `status=<code>`, wait `delay=<ms>` first, or `reset` the connection as a crashed process would.
 * `stop()` closes the server for real (an instance that is down); `start()` brings it back on the
 * same port.
 */

export interface Group {
  id: string;
  name: string;
  /** The policy scope that grants viewing it. */
  scope: string;
  members: number;
}

export interface InstanceSeed {
  id: string;
  groups: Group[];
  /** user → the policies the user holds on this instance, e.g. `GOD in engineering`. */
  policies: Record<string, string[]>;
  /** user → profile data this instance owns (the hub owns the profile, workers the memberships). */
  profile?: Record<string, unknown>;
}

export interface InstanceLogEntry {
  /** ms since the instance's log was last cleared. */
  atMs: number;
  line: string;
}

export interface DemoInstance {
  readonly id: string;
  readonly url: string;
  /** Signs a short-lived token for `user` (what the hub hands the BFF at login). */
  tokenFor(user: string): string;
  /** What the instance saw, in order. */
  readonly log: InstanceLogEntry[];
  clearLog(): void;
  /** Close the server and drop every connection: the instance is down. */
  stop(): Promise<void>;
  /** Listen again on the same port. */
  start(): Promise<void>;
  readonly running: boolean;
}

const sign = (secret: string, user: string) => createHmac('sha256', secret).update(user).digest('base64url');

/** `GOD in engineering` grants the `engineering` scope; a bare policy (`GROUP_VIEW`) grants every scope. */
function grants(policy: string, scope: string): boolean {
  const match = / in (.+)$/.exec(policy);
  return match === null || match[1] === scope;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

interface Fault {
  status?: number;
  delayMs?: number;
  reset?: boolean;
}

function parseFault(header: string | undefined): Fault {
  const fault: Fault = {};
  for (const part of (header ?? '').split(',')) {
    const [key, value] = part.trim().split('=');
    if (key === 'status') fault.status = Number(value);
    else if (key === 'delay') fault.delayMs = Number(value);
    else if (key === 'reset') fault.reset = true;
  }
  return fault;
}

/** Starts one instance on an ephemeral port of 127.0.0.1. */
export async function startInstance(seed: InstanceSeed): Promise<DemoInstance> {
  const secret = `${seed.id}-secret-${Math.random().toString(36).slice(2)}`;
  const log: InstanceLogEntry[] = [];
  let logStart = Date.now();
  const note = (line: string) => log.push({ atMs: Date.now() - logStart, line });

  const authorize = (req: IncomingMessage): { user: string; policy: string } | { deny: 401 | 403; why: string } => {
    const bearer = /^Bearer ([^.]+)\.(.+)$/.exec(req.headers.authorization ?? '');
    if (bearer === null) return { deny: 401, why: 'no token' };
    const user = bearer[1]!;
    const given = Buffer.from(bearer[2]!);
    const wanted = Buffer.from(sign(secret, user));
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return { deny: 401, why: 'bad token' };
    const hint = req.headers['x-policy-hint'];
    const held = seed.policies[user] ?? [];
    if (typeof hint !== 'string' || !held.includes(hint)) return { deny: 403, why: `policy hint not held by ${user}` };
    return { user, policy: hint };
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://instance');
    const route = `${req.method} ${url.pathname}${url.search}`;
    const started = Date.now();
    res.on('close', () => {
      if (!res.writableFinished) note(`${route} -> client aborted after ${Date.now() - started}ms`);
    });

    const answer = () => {
      if (res.destroyed) return;
      if (fault.reset) {
        note(`${route} -> connection reset (fault)`);
        req.socket.destroy();
        return;
      }
      if (fault.status !== undefined) {
        note(`${route} -> ${fault.status} (fault)`);
        // The body holds internal detail on purpose: the BFF must never pass it on to a client.
        send(res, fault.status, { error: `db pool exhausted at 10.0.3.7:5432 on ${seed.id}` });
        return;
      }
      const auth = authorize(req);
      if ('deny' in auth) {
        note(`${route} -> ${auth.deny} (${auth.why})`);
        send(res, auth.deny, { error: auth.deny === 401 ? 'unauthorized' : 'forbidden' });
        return;
      }
      const visible = seed.groups.filter((g) => grants(auth.policy, g.scope));
      const [status, body] = respond(url, auth.user, auth.policy, visible);
      note(`${route} -> ${status}`);
      send(res, status, body);
    };

    const respond = (url: URL, user: string, policy: string, visible: Group[]): [number, unknown] => {
      const groupMatch = /^\/groups\/([^/]+)$/.exec(url.pathname);
      if (url.pathname === '/groups') {
        const q = (url.searchParams.get('q') ?? '').toLowerCase();
        return [200, visible.filter((g) => g.name.toLowerCase().includes(q)).map((g) => ({ ...g, instance: seed.id }))];
      }
      if (groupMatch !== null) {
        const id = decodeURIComponent(groupMatch[1]!);
        const group = seed.groups.find((g) => g.id === id);
        // Authorise before looking: a group outside the hint's scope is a 403 whether or not it
        // exists here, so an instance never reveals what it holds to someone who may not see it.
        if (group === undefined ? !grants(policy, '*') : !grants(policy, group.scope)) return [403, { error: 'forbidden' }];
        return group === undefined ? [404, { error: 'not found' }] : [200, { ...group, instance: seed.id }];
      }
      if (url.pathname === '/dashboard') {
        return [200, [{ instance: seed.id, groups: visible.length, members: visible.reduce((n, g) => n + g.members, 0) }]];
      }
      if (url.pathname === '/profile') {
        return [200, [{ instance: seed.id, user, ...seed.profile?.[user] as object, groups: visible.map((g) => g.id) }]];
      }
      return [404, { error: 'no such route' }];
    };

    const fault = parseFault(req.headers['x-demo-fault'] as string | undefined);
    req.resume();
    if (fault.delayMs !== undefined && fault.delayMs > 0) {
      const timer = setTimeout(answer, fault.delayMs);
      res.on('close', () => clearTimeout(timer));
    } else {
      answer();
    }
  };

  const server: Server = createServer(handle);
  let port = 0;
  let running = false;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        running = true;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!running) return resolve();
      running = false;
      server.close(() => resolve());
      server.closeAllConnections();
    });

  await start();
  return {
    id: seed.id,
    url: `http://127.0.0.1:${port}`,
    tokenFor: (user) => `${user}.${sign(secret, user)}`,
    log,
    clearLog() {
      log.length = 0;
      logStart = Date.now();
    },
    stop,
    start,
    get running() {
      return running;
    },
  };
}

/** The seeds' three instances, each with its own groups and its own view of the user `alice`. */
export const SEEDS: InstanceSeed[] = [
  {
    id: 'cloud',
    groups: [
      { id: 'cloud-eng', name: 'engineering', scope: 'public', members: 120 },
      { id: 'cloud-design', name: 'design', scope: 'public', members: 35 },
      { id: 'cloud-kb', name: 'knowledge base', scope: 'public', members: 410 },
    ],
    policies: { alice: ['GROUP_VIEW'] },
    profile: { alice: { name: 'Alice Example', email: 'alice@example.org' } },
  },
  {
    id: 'enterprise-acme',
    groups: [
      { id: 'acme-eng', name: 'engineering', scope: 'engineering', members: 48 },
      { id: 'acme-platform', name: 'platform engineering', scope: 'engineering', members: 12 },
      { id: 'acme-sales', name: 'sales', scope: 'sales', members: 20 },
    ],
    policies: { alice: ['GOD in engineering'] },
  },
  {
    id: 'enterprise-conf',
    groups: [
      { id: 'conf-eng', name: 'engineering track', scope: 'events', members: 64 },
      { id: 'conf-volunteers', name: 'volunteers', scope: 'events', members: 30 },
      { id: 'conf-board', name: 'programme board', scope: 'board', members: 7 },
    ],
    policies: { alice: ['VIEW in events'] },
  },
];
