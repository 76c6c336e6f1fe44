/**
 * Marks requests whose URL authority was made up (`localhost`) because the client sent no Host
 * header, e.g. HTTP/1.0: the proxy must not forward that authority as `X-Forwarded-Host`.
 *
 * A registered symbol on the request rather than a module-level set: `toWebRequest`
 * (switchyard/node) and `createProxy` (switchyard/http) are separate bundles, so a set in one would
 * be empty in the other.
 */
const INVENTED_HOST = Symbol.for('switchyard.request.inventedHost.v1');

/** Marks `request` as one whose URL authority was made up. */
export function markInventedHost(request: Request): void {
  Object.defineProperty(request, INVENTED_HOST, { value: true });
}

/** Whether `request` was marked by {@link markInventedHost}. */
export function hasInventedHost(request: Request): boolean {
  return (request as { [INVENTED_HOST]?: unknown })[INVENTED_HOST] === true;
}
