/**
 * Requests whose URL authority was made up (`localhost`) because the client sent no Host
 * header, e.g. HTTP/1.0: the proxy must not forward that authority as `X-Forwarded-Host`.
 */
export const inventedHost = new WeakSet<Request>();
