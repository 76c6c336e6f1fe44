/**
 * The BFF's side of the per-instance credentials: for each call to an instance, a fresh JWT for
 * that instance and the user's policy hint there. Secrets stay in the BFF; browsers never see them.
 */
import type { Instance } from 'switchyard';
import { POLICY_HINTS, signInstanceToken } from './world.js';

/** One instance the BFF may call, with the secret it signs that instance's tokens with. */
export interface Backend {
  id: string;
  url: string;
  secret: string;
}

/** Who a request acts for. The examples read it from `x-user`; a real BFF reads its session. */
export interface Viewer {
  user: string;
}

/** The headers one call to `instance` carries for `viewer`. */
export function instanceHeaders(backends: readonly Backend[], instance: Instance, viewer: Viewer): Record<string, string> {
  const backend = backends.find((candidate) => candidate.id === instance.id);
  if (backend === undefined) throw new Error(`No credentials for instance "${instance.id}"`);
  const headers: Record<string, string> = { authorization: `Bearer ${signInstanceToken(backend, viewer.user)}` };
  const hint = POLICY_HINTS[viewer.user]?.[instance.id];
  if (hint !== undefined) headers['x-policy-hint'] = hint;
  return headers;
}
