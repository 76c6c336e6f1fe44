import { z } from 'zod';
import { systemClock, type Clock } from '../_internal/clock.js';
import { expected, fn, parseOptions, positiveInteger } from '../_internal/validate.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { Worker, WorkerCall } from '../execute/types.js';
import type { Instance } from '../router/types.js';
import { isHeaderName, isHeaderValue, recordOf } from './_headers.js';
import { joinPath, toBase } from './_path.js';
import { parseRetryAfter } from './_retryAfter.js';
import type { StandardSchemaV1 } from './_standardSchema.js';
import { HttpStatusError, UpstreamNetworkError, UpstreamResponseError } from './errors.js';
import { readCapped, snippet } from './transport/_read.js';
import { defaultTransport } from './transport/default.js';
import { fetchTransport, type FetchLike } from './transport/fetch.js';
import { headerValue, type Transport, type TransportResponse } from './transport/types.js';

export type { FetchLike } from './transport/fetch.js';

/** Headers for one attempt, computed per instance (credentials) and per call (policy hints). */
export type HeadersFactory<Data, Ctx> = (
  instance: Instance,
  call: WorkerCall<Data, Ctx>,
) => HeadersInit | undefined | Promise<HeadersInit | undefined>;

/** Options of `httpWorker`. */
export interface HttpWorkerOptions<T, Data = unknown, Ctx = unknown> {
  /**
   * Path (and query) joined onto `instance.url`'s path; a function builds it per call. Paths that
   * could leave the instance's base path or origin (`..`, `%2e%2e`, `%2f`, `\`, `//host`,
   * absolute URLs) are refused before any request is sent.
   */
  path: string | ((call: WorkerCall<Data, Ctx>) => string);
  /** @default 'GET', or 'POST' when `json` is set */
  method?: string;
  /**
   * Send a JSON body: `true` sends `call.data`, a function sends what it returns.
   * @default false
   */
  json?: boolean | ((call: WorkerCall<Data, Ctx>) => unknown);
  /** Extra headers, static or per instance and call (e.g. a short-lived instance JWT, `x-policy-hint`). */
  headers?: HeadersInit | HeadersFactory<Data, Ctx>;
  /**
   * Header carrying the milliseconds left until `call.deadline`, so the upstream can give up in
   * time too; `false` sends none.
   * @default 'x-request-deadline-ms'
   */
  deadlineHeader?: string | false;
  /** Validates the parsed JSON (any Standard Schema v1, e.g. a zod 4 schema); its output is the result. */
  schema?: StandardSchemaV1<unknown, T>;
  /**
   * How to read a 2xx body: `'json'` parses it (an empty body is `undefined`), `'text'` returns
   * the string.
   * @default 'json'
   */
  responseType?: 'json' | 'text';
  /** A larger 2xx body fails with `UpstreamResponseError('too-large')`. @default 10_485_760 (10 MiB) */
  maxResponseBytes?: number;
  /**
   * How requests are sent. Each transport keeps its own connection pool.
   * @default undici (one pool per origin) on Node, `fetch` on other runtimes
   */
  transport?: Transport;
  /** Send through this `fetch` instead of the default transport (ignored when `transport` is set). */
  fetch?: FetchLike;
  /** Time source for the deadline header and Retry-After dates. @default systemClock */
  clock?: Clock;
}

const ERROR_SNIPPET_BYTES = 1024;

const optionsSchema = z.object({
  path: expected<unknown>('a string or a function', (v) => typeof v === 'string' || typeof v === 'function'),
  method: expected<string>('an HTTP method token', (v) => typeof v === 'string' && isHeaderName(v)).optional(),
  json: expected<unknown>('a boolean or a function', (v) => typeof v === 'boolean' || typeof v === 'function').optional(),
  headers: z.any().optional(),
  deadlineHeader: expected<string | false>(
    'a header name or false',
    (v) => v === false || (typeof v === 'string' && isHeaderName(v)),
  ).optional(),
  schema: expected<unknown>(
    'a Standard Schema (an object with `~standard.validate`)',
    (v) =>
      typeof v === 'object' && v !== null && typeof (v as StandardSchemaV1)['~standard']?.validate === 'function',
  ).optional(),
  responseType: z.enum(['json', 'text']).optional(),
  maxResponseBytes: positiveInteger.optional(),
  transport: expected<Transport>(
    'a transport (an object with `request` and `close`)',
    (v) => typeof v === 'object' && v !== null && typeof (v as Transport).request === 'function',
  ).optional(),
  fetch: fn<FetchLike>().optional(),
  clock: z.any().optional(),
});

function invalidPath(instance: Instance): SwitchyardError {
  const error = new SwitchyardError('INVALID_INPUT', `Refused a request path that would leave instance ${instance.id}`, {
    instances: [instance.id],
  });
  // Retrying the same path cannot help.
  return Object.assign(error, { retryable: false });
}

function invalidHeader(instance: Instance): SwitchyardError {
  const error = new SwitchyardError('INVALID_INPUT', `Refused an invalid request header for instance ${instance.id}`, {
    instances: [instance.id],
  });
  return Object.assign(error, { retryable: false });
}

/**
 * A worker that calls `instance.url` over HTTP (undici on Node, `fetch` elsewhere) and returns the (validated) JSON.
 *
 * Failures are thrown in the shape the executor classifies: `HttpStatusError` carries the status
 * (401/403 unauthorized, 404 not-found, 408/429/5xx retryable with Retry-After), malformed or
 * mismatching bodies throw a non-retryable `UpstreamResponseError`, unreachable upstreams an
 * `UpstreamNetworkError`. Every message is redacted; URLs and bodies stay on `detail`/`cause`.
 *
 * @example
 * const getUser = httpWorker({
 *   path: (call) => `/users/${encodeURIComponent(call.data.id)}`,
 *   headers: async (instance) => ({ authorization: `Bearer ${await tokenFor(instance)}` }),
 *   schema: z.object({ id: z.string(), name: z.string() }),
 * });
 */
export function httpWorker<T = unknown, Data = unknown, Ctx = unknown>(
  options: HttpWorkerOptions<T, Data, Ctx>,
): Worker<T, Data, Ctx> {
  parseOptions(optionsSchema, options, 'httpWorker');
  const json = options.json ?? false;
  const method = (options.method ?? (json === false ? 'GET' : 'POST')).toUpperCase();
  const deadlineHeader = options.deadlineHeader ?? 'x-request-deadline-ms';
  const responseType = options.responseType ?? 'json';
  const maxResponseBytes = options.maxResponseBytes ?? 10 * 1024 * 1024;
  const clock = options.clock ?? systemClock;
  const schema = options.schema;
  const transport = options.transport ?? (options.fetch === undefined ? undefined : fetchTransport({ fetch: options.fetch }));

  return async (instance, call) => {
    if (instance.url === undefined) {
      throw Object.assign(
        new SwitchyardError('INVALID_INPUT', `Instance ${instance.id} has no url`, { instances: [instance.id] }),
        { retryable: false },
      );
    }
    const path = typeof options.path === 'function' ? options.path(call) : options.path;
    const url = joinPath(toBase(instance.url), path);
    if (url === undefined) throw invalidPath(instance);
    const href = url.href;

    const headers = new Headers();
    const extra = typeof options.headers === 'function' ? await options.headers(instance, call) : options.headers;
    if (extra !== undefined) {
      try {
        new Headers(extra).forEach((value, name) => headers.set(name, value));
      } catch {
        // The platform's message quotes the bad value, which may be a credential.
        throw invalidHeader(instance);
      }
    }
    if (deadlineHeader !== false && Number.isFinite(call.deadline)) {
      headers.set(deadlineHeader, String(Math.max(0, Math.floor(call.deadline - clock.now()))));
    }
    let body: string | undefined;
    if (json !== false) {
      body = JSON.stringify(json === true ? call.data : json(call));
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    if (!headers.has('accept')) headers.set('accept', responseType === 'json' ? 'application/json' : '*/*');
    headers.forEach((value, name) => {
      if (!isHeaderName(name) || !isHeaderValue(value)) throw invalidHeader(instance);
    });

    let response: TransportResponse;
    try {
      // Transports never follow redirects: that would send the instance's credentials wherever
      // `Location` points.
      response = await (transport ?? defaultTransport()).request({
        url,
        method,
        headers: recordOf(headers),
        body: body ?? null,
        signal: call.signal,
      });
    } catch (error) {
      if (call.signal.aborted) throw call.signal.reason;
      throw new UpstreamNetworkError({ cause: error, detail: { url: href } });
    }

    if (response.status < 200 || response.status > 299) {
      const retryAfterMs = parseRetryAfter(headerValue(response.headers, 'retry-after') ?? null, clock.now());
      const text = await snippet(response, ERROR_SNIPPET_BYTES);
      throw new HttpStatusError(response.status, {
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        detail: text === undefined ? { url: href } : { url: href, body: text },
      });
    }

    let bytes: Uint8Array | undefined;
    try {
      bytes = await readCapped(response, maxResponseBytes);
    } catch (error) {
      if (call.signal.aborted) throw call.signal.reason;
      throw new UpstreamNetworkError({ cause: error, detail: { url: href } });
    }
    if (bytes === undefined) throw new UpstreamResponseError('too-large', { detail: { url: href } });
    const text = new TextDecoder().decode(bytes);

    let value: unknown = text;
    if (responseType === 'json') {
      try {
        value = text.trim() === '' ? undefined : JSON.parse(text);
      } catch (error) {
        throw new UpstreamResponseError('malformed-json', {
          cause: error,
          detail: { url: href, body: text.slice(0, ERROR_SNIPPET_BYTES) },
        });
      }
    }
    if (schema === undefined) return value as T;
    const result = await schema['~standard'].validate(value);
    if (result.issues !== undefined) {
      throw new UpstreamResponseError('schema-mismatch', { detail: { url: href, issues: result.issues } });
    }
    return result.value;
  };
}
