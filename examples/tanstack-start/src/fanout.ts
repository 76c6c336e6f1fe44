/**
 * The switchyard side of the TanStack Start example, created once per server process: one fanout
 * over the instances named in `GROUP_BACKENDS` (JSON: `[{ id, url, secret }]`), with the attempt
 * timeout and deadline from `GROUP_TIMEOUT_MS` and `GROUP_DEADLINE_MS` (2 s and 5 s when unset),
 * and one worker per kind of call. Server-only: it reads secrets from the environment.
 */
import { z } from 'zod';
import { createFanout, staticRouter } from 'switchyard';
import { httpWorker } from 'switchyard/http';
import { instanceHeaders, type Backend, type Viewer } from '../../shared/credentials.js';

export const Group = z.object({ id: z.string(), name: z.string(), instance: z.string() });
export type Group = z.infer<typeof Group>;

const Backends = z.array(z.object({ id: z.string(), url: z.string(), secret: z.string() }));

/** The instances this BFF calls, with the secret it signs each one's tokens with. */
export function backendsFromEnv(env: NodeJS.ProcessEnv = process.env): Backend[] {
  const text = env.GROUP_BACKENDS;
  if (text === undefined) throw new Error('Set GROUP_BACKENDS to a JSON array of { id, url, secret }');
  return Backends.parse(JSON.parse(text));
}

const backends = backendsFromEnv();

/** A positive number of milliseconds from the environment, or the default. */
function msFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const ms = Number(text);
  if (!Number.isFinite(ms) || ms <= 0) throw new Error(`Set ${name} to a positive number of milliseconds, got ${JSON.stringify(text)}`);
  return ms;
}

export const fanout = createFanout<unknown, Viewer>({
  router: staticRouter(backends.map(({ id, url }) => ({ id, url }))),
  principal: (viewer) => viewer.user,
  timeoutMs: msFromEnv('GROUP_TIMEOUT_MS', 2_000),
  deadlineMs: msFromEnv('GROUP_DEADLINE_MS', 5_000),
});

const headers = (instance: Parameters<typeof instanceHeaders>[1], call: { context: Viewer }) => instanceHeaders(backends, instance, call.context);

export const searchWorker = httpWorker<Group[], { q: string }, Viewer>({
  path: (call) => `/groups?q=${encodeURIComponent(call.data.q)}`,
  headers,
  schema: z.array(Group),
});

export const getWorker = httpWorker<Group, { id: string }, Viewer>({
  path: (call) => `/groups/${encodeURIComponent(call.data.id)}`,
  headers,
  schema: Group,
});
