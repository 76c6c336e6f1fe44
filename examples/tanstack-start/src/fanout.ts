/**
 * The switchyard side of the TanStack Start example, created once per server process: one fanout
 * over the instances named in `GROUP_BACKENDS` (JSON: `[{ id, url, secret }]`) and one worker per
 * kind of call. Server-only: it reads secrets from the environment.
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

export const fanout = createFanout<unknown, Viewer>({
  router: staticRouter(backends.map(({ id, url }) => ({ id, url }))),
  principal: (viewer) => viewer.user,
  timeoutMs: 2_000,
  deadlineMs: 5_000,
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
