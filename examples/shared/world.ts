/**
 * The backend side of the framework examples: three instances (`cloud`, `enterprise-acme`,
 * `enterprise-conf`), each holding its own groups and its own members, and the per-instance
 * credentials a BFF uses to call them: a short-lived HS256 JWT signed with the instance's secret
 * (`aud` = the instance id) and an `x-policy-hint` naming the policy the user acts under there.
 *
 * `answer()` is what an instance decides for one request; `startRestInstance()` serves it over
 * plain HTTP (examples/trpc serves the same answers as a tRPC router).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Group {
  id: string;
  name: string;
  instance: string;
}

export interface InstanceSeed {
  id: string;
  /** The secret the instance verifies its JWTs with (shared with the BFF, never with browsers). */
  secret: string;
  groups: readonly { id: string; name: string }[];
  /** user → the policies the user holds on this instance. */
  members: Readonly<Record<string, readonly string[]>>;
}

export const SEEDS: readonly InstanceSeed[] = [
  {
    id: 'cloud',
    secret: 'cloud-secret',
    groups: [
      { id: 'g-eng', name: 'Engineering' },
      { id: 'g-ops', name: 'Operations' },
    ],
    members: { ada: ['GROUP_VIEW'], grace: ['GROUP_VIEW'] },
  },
  {
    id: 'enterprise-acme',
    secret: 'acme-secret',
    groups: [{ id: 'g-acme-eng', name: 'ACME Engineering' }],
    members: { ada: ['GROUP_VIEW in engineering'] },
  },
  {
    id: 'enterprise-conf',
    secret: 'conf-secret',
    groups: [{ id: 'g-conf', name: 'Conference Staff' }],
    members: { grace: ['GROUP_VIEW'] },
  },
];

/** What the BFF knows per user after login: which policy to hint on each instance. */
export const POLICY_HINTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  ada: { cloud: 'GROUP_VIEW', 'enterprise-acme': 'GROUP_VIEW in engineering', 'enterprise-conf': 'GROUP_VIEW' },
  grace: { cloud: 'GROUP_VIEW', 'enterprise-acme': 'GROUP_VIEW', 'enterprise-conf': 'GROUP_VIEW' },
};

const base64url = (text: string) => Buffer.from(text).toString('base64url');

/** Signs the short-lived JWT a BFF sends to one instance for one user. */
export function signInstanceToken(seed: Pick<InstanceSeed, 'id' | 'secret'>, user: string, ttlSeconds = 60): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const now = Math.floor(Date.now() / 1000);
  const payload = base64url(JSON.stringify({ sub: user, aud: seed.id, iat: now, exp: now + ttlSeconds }));
  const signature = createHmac('sha256', seed.secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** The user a valid token for this instance names, or undefined (bad signature, audience or expiry). */
export function verifyInstanceToken(seed: InstanceSeed, token: string): string | undefined {
  const [header, payload, signature] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined) return undefined;
  const expected = createHmac('sha256', seed.secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub?: unknown; aud?: unknown; exp?: unknown };
    if (claims.aud !== seed.id || typeof claims.sub !== 'string' || typeof claims.exp !== 'number') return undefined;
    return claims.exp * 1000 > Date.now() ? claims.sub : undefined;
  } catch {
    return undefined;
  }
}

export type Request = { kind: 'search'; q: string } | { kind: 'get'; id: string };
export type Answer =
  | { status: 200; body: Group[] | Group }
  | { status: 401 | 403 | 404; body: { code: 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' } };

/** What one instance answers: 401 for a bad token, 403 for a non-member or a wrong hint, 404, or data. */
export function answer(seed: InstanceSeed, auth: { token: string | undefined; policyHint: string | undefined }, request: Request): Answer {
  const user = auth.token === undefined ? undefined : verifyInstanceToken(seed, auth.token);
  if (user === undefined) return { status: 401, body: { code: 'UNAUTHORIZED' } };
  const policies = seed.members[user];
  if (policies === undefined || auth.policyHint === undefined || !policies.includes(auth.policyHint)) {
    return { status: 403, body: { code: 'FORBIDDEN' } };
  }
  const groups = seed.groups.map((group) => ({ ...group, instance: seed.id }));
  if (request.kind === 'search') {
    const q = request.q.toLowerCase();
    return { status: 200, body: groups.filter((group) => group.name.toLowerCase().includes(q)) };
  }
  const group = groups.find((candidate) => candidate.id === request.id);
  return group === undefined ? { status: 404, body: { code: 'NOT_FOUND' } } : { status: 200, body: group };
}

export interface RunningInstance {
  readonly id: string;
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (an ephemeral port by default) until `close()`. */
export function listen(server: Server, id: string, port = 0): Promise<RunningInstance> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = server.address() as AddressInfo;
      resolve({
        id,
        url: `http://127.0.0.1:${actual}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** Serves `answer()` over HTTP: `GET /groups?q=…` and `GET /groups/:id`, with `authorization: Bearer <jwt>`. */
export function startRestInstance(seed: InstanceSeed, port = 0): Promise<RunningInstance> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://instance');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const hint = req.headers['x-policy-hint'];
    const auth = { token: bearer, policyHint: typeof hint === 'string' ? hint : undefined };
    const id = /^\/groups\/([^/]+)$/.exec(url.pathname)?.[1];
    const request: Request | undefined =
      url.pathname === '/groups' ? { kind: 'search', q: url.searchParams.get('q') ?? '' } : id !== undefined ? { kind: 'get', id: decodeURIComponent(id) } : undefined;
    const result = request === undefined ? { status: 404, body: { code: 'NOT_FOUND' } } : answer(seed, auth, request);
    const text = JSON.stringify(result.body);
    res.writeHead(result.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
  return listen(server, seed.id, port);
}
