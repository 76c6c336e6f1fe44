// Smoke fan-out against the BUILT package (dist/), in plain JavaScript so that Node, Bun and Deno
// run it as is: the core executor and strategies, `httpWorker` against a real HTTP server on
// 127.0.0.1, and the rou3 path matcher from `switchyard/routing`. It asserts, prints one line for
// the runtime it ran on, and exits non-zero on any failure. Run by scripts/smoke-runtimes.sh.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { createFanout, firstSuccess, mergeAll, staticRouter, SwitchyardError } from '../../dist/index.js';
import { httpWorker } from '../../dist/http.js';
import { createRouteMatcher } from '../../dist/routing.js';

const runtime = globalThis.Bun
  ? `bun ${globalThis.Bun.version}`
  : globalThis.Deno
    ? `deno ${globalThis.Deno.version.deno}`
    : `node ${process.versions.node}`;

const Group = z.object({ id: z.string(), name: z.string() });

/** Upstream instances behind one local server, told apart by their base path. */
function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const json = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
  switch (url.pathname) {
    case '/cloud/groups':
      assert.equal(req.headers['x-policy-hint'], 'smoke', 'per-instance headers reach the upstream');
      return json(200, [{ id: 'cloud-eng', name: `eng (${url.searchParams.get('q')})` }]);
    case '/acme/groups':
      return json(200, [{ id: 'acme-eng', name: 'eng at acme' }]);
    case '/forbidden/groups':
      return json(403, { message: 'secret upstream detail' });
    case '/broken/groups':
      return json(500, { message: 'secret upstream detail' });
    case '/malformed/groups':
      return json(200, [{ id: 1 }]);
    case '/slow/groups':
      return; // never answers: the attempt timeout must abort it
    case '/users-svc/123':
      return json(200, { id: 'u-123', name: `full=${url.searchParams.get('full')}` });
    default:
      return json(404, { message: 'no such thing' });
  }
}

const hits = new Map();
const sockets = new Set();
const server = createServer(handle);
server.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});

async function main() {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const base = `http://127.0.0.1:${server.address().port}`;
  const instance = (id) => ({ id, url: `${base}/${id}` });

  // Core + httpWorker: merge the successes; 403 is "not relevant", 500 is retried then an error,
  // a schema mismatch is an error (not a crash), a hung instance times out.
  const fanout = createFanout({
    router: staticRouter(['cloud', 'acme', 'forbidden', 'broken', 'malformed', 'slow'].map(instance)),
    timeoutMs: 300,
    deadlineMs: 3_000,
    retry: { maxAttempts: 2, baseDelayMs: 10 },
  });
  const searchGroups = httpWorker({
    path: (call) => `/groups?q=${encodeURIComponent(call.data.q)}`,
    headers: () => ({ 'x-policy-hint': 'smoke' }),
    schema: z.array(Group),
  });
  const { value, report } = await fanout.runDetailed({
    operation: 'searchGroups',
    data: { q: 'eng' },
    context: {},
    worker: searchGroups,
    strategy: mergeAll(),
  });
  assert.deepEqual(
    value.map((group) => group.id).sort(),
    ['acme-eng', 'cloud-eng'],
  );
  assert.equal(value.find((group) => group.id === 'cloud-eng').name, 'eng (eng)');
  assert.equal(report.finishedBy, 'all-settled');
  const byId = Object.fromEntries(report.instances.map((entry) => [entry.instanceId, entry]));
  assert.equal(byId.cloud.status, 'success');
  assert.equal(byId.forbidden.status, 'unauthorized');
  assert.equal(byId.broken.status, 'error');
  assert.equal(byId.broken.attempts.length, 2, 'a 500 is retried once');
  assert.equal(byId.malformed.status, 'error');
  assert.equal(byId.malformed.attempts.length, 1, 'a schema mismatch is not retried');
  assert.equal(byId.slow.status, 'error');
  assert.equal(byId.slow.reason, 'timeout');
  assert.equal(hits.get('/broken/groups'), 2);

  // firstSuccess: 404s are skipped over; when nobody has it, a client-safe NOT_FOUND.
  const somewhere = createFanout({ router: staticRouter([instance('gone'), instance('acme'), instance('moved')]), timeoutMs: 300 });
  const getGroups = somewhere.operation({ name: 'getGroups', worker: httpWorker({ path: '/groups', schema: z.array(Group) }), strategy: firstSuccess() });
  const found = await getGroups({}, {});
  assert.equal(found[0].id, 'acme-eng');
  const nowhere = createFanout({ router: staticRouter([instance('cloud'), instance('acme')]), timeoutMs: 300 });
  const error = await nowhere
    .run({ operation: 'getGroup', data: {}, context: {}, worker: httpWorker({ path: '/missing', schema: Group }), strategy: firstSuccess() })
    .then(() => assert.fail('expected NOT_FOUND'), (cause) => cause);
  assert.ok(error instanceof SwitchyardError, `expected a SwitchyardError, got ${error}`);
  assert.equal(error.code, 'NOT_FOUND');
  const forClient = JSON.stringify(error.toJSON());
  assert.ok(!forClient.includes('127.0.0.1') && !forClient.includes('no such thing'), `client error leaks upstream detail: ${forClient}`);

  // Route matcher (rou3) picks the upstream for a path; the fan-out calls the target it built.
  const matcher = createRouteMatcher({
    '/api/v1/users/*': `${base}/users-svc`,
    '/*': `${base}/frontend`,
  });
  const match = matcher.match(new Request(`${base}/api/v1/users/123?full=1`));
  assert.ok(match, 'the users route matches');
  assert.equal(match.route.name, '/api/v1/users/*');
  assert.equal(match.target.url, `${base}/users-svc/123?full=1`);
  assert.equal(matcher.match({ method: 'GET', path: '/about' }).route.name, '/*');
  const user = await createFanout({
    router: { route: () => [{ id: match.target.id, url: match.target.origin }] },
    timeoutMs: 300,
  }).run({
    operation: 'getUser',
    data: {},
    context: {},
    worker: httpWorker({ path: match.target.path, schema: Group }),
    strategy: firstSuccess(),
  });
  assert.deepEqual(user, { id: 'u-123', name: 'full=1' });

  // The CommonJS build loads too.
  const cjs = createRequire(import.meta.url)('../../dist/index.cjs');
  assert.equal(typeof cjs.createFanout, 'function');
  assert.equal(typeof cjs.mergeAll, 'function');
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error(`FAIL ${runtime}:`, error);
} finally {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(() => resolve()));
}
if (failed) process.exit(1);
console.log(`ok   ${runtime} (${process.platform}-${process.arch}): core fan-out, httpWorker over HTTP, route matcher (rou3), CJS build`);
