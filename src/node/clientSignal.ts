import type { ServerResponse } from 'node:http';

/**
 * An AbortSignal that aborts when the client goes away before its response is finished: pass it
 * as the `signal` of a fanout call or operation, so a user who closes the tab stops the fan-out
 * (and every upstream request) instead of letting it run to its deadline.
 *
 * It watches the response, not the request: a Node request emits `close` as soon as its body has
 * been read, which is not a disconnect. Its listeners are removed when the response finishes or
 * the connection closes, so a keep-alive connection collects none. Works with node:http, Express's
 * `res` and Fastify's `reply.raw`.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { clientSignal } from 'switchyard/node';
 * declare const getGroups: (data: { q: string }, context: { user: string }, options: { signal: AbortSignal }) => Promise<unknown>;
 * createServer(async (req, res) => {
 *   const groups = await getGroups({ q: 'a' }, { user: 'u1' }, { signal: clientSignal(res) });
 *   res.end(JSON.stringify(groups));
 * });
 * ```
 */
export function clientSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  const wentAway = () => controller.abort(new DOMException('The client went away', 'AbortError'));
  if (res.writableFinished) return controller.signal;
  if (res.destroyed) {
    wentAway();
    return controller.signal;
  }
  const detach = () => {
    res.off('close', onClose);
    res.off('finish', detach);
  };
  const onClose = () => {
    detach();
    if (!res.writableFinished) wentAway();
  };
  res.on('close', onClose);
  res.on('finish', detach);
  return controller.signal;
}
