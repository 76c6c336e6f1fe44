import type { Instance } from '../core/instance.js';

export type { Instance } from '../core/instance.js';

/** What a router sees for one call. */
export interface RouteInput<Data = unknown, Ctx = unknown> {
  operation: string;
  data: Data;
  context: Ctx;
  signal: AbortSignal;
}

/**
 * Picks the instances one call goes to.
 *
 * Returning an empty list ends the call with code `NO_INSTANCES`.
 */
export interface InstanceRouter<Data = unknown, Ctx = unknown> {
  route(input: RouteInput<Data, Ctx>): readonly Instance[] | Promise<readonly Instance[]>;
}
