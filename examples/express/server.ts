/**
 * switchyard in an Express BFF: one fan-out endpoint and one proxied prefix.
 *
 *   npm run build   # the example imports the package itself (switchyard, switchyard/http)
 *   INSTANCES='cloud=http://127.0.0.1:4001,acme=http://127.0.0.1:4002' npx tsx examples/express/server.ts
 *   curl 'http://127.0.0.1:3000/search?q=eng'
 *
 * Errors reach the client as `error.toJSON()` (code, message, instance ids): never upstream text.
 */
import express from 'express';
import { z } from 'zod';
import { createFanout, isSwitchyardError, mergeAll, staticRouter, type SwitchyardErrorCode } from 'switchyard';
import { createProxy, httpWorker, toNodeHandler } from 'switchyard/http';

const instances = (process.env.INSTANCES ?? 'cloud=http://127.0.0.1:4001')
  .split(',')
  .map((pair) => {
    const [id, url] = pair.split('=');
    return { id: id!, url: url! };
  });

const Group = z.object({ id: z.string(), name: z.string() });
type User = { id: string; token: string };

const fanout = createFanout<{ q: string }, User>({
  router: staticRouter(instances),
  principal: (user) => user.id,
  timeoutMs: 2_000,
  deadlineMs: 5_000,
  dedup: { ttlMs: 30_000 },
});

const searchGroups = fanout.operation({
  name: 'searchGroups',
  worker: httpWorker<z.infer<typeof Group>[], { q: string }, User>({
    path: (call) => `/groups?q=${encodeURIComponent(call.data.q)}`,
    headers: (_instance, call) => ({ authorization: `Bearer ${call.context.token}` }),
    schema: z.array(Group),
  }),
  strategy: mergeAll(),
});

const STATUS: Partial<Record<SwitchyardErrorCode, number>> = {
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ABORTED: 499,
  INVALID_INPUT: 400,
  DEADLINE_EXCEEDED: 504,
};

const app = express();

app.get('/search', async (req, res) => {
  // Stop the fan-out when the client goes away.
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const user: User = { id: String(req.header('x-user') ?? ''), token: String(req.header('x-token') ?? '') };
  try {
    res.json(await searchGroups({ q: String(req.query['q'] ?? '') }, user, { signal: abort.signal }));
  } catch (error) {
    if (!isSwitchyardError(error)) throw error;
    res.status(STATUS[error.code] ?? 502).json(error.toJSON());
  }
});

// Everything under /api goes to the first instance, through the safe streaming proxy.
app.use('/api', toNodeHandler(createProxy({ target: instances[0]!.url, name: instances[0]!.id, timeoutMs: 10_000 })));

const server = app.listen(3000, '127.0.0.1', () => console.log('BFF on http://127.0.0.1:3000'));
process.on('SIGINT', () => server.close());
