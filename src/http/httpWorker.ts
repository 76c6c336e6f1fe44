import { abortableOf, type Abortable } from '../_internal/abortable.js';
import { systemClock, type Clock } from '../_internal/clock.js';
import { expected, fn, parseOptions, positiveInteger, v } from '../_internal/validate.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { Worker, WorkerCall, WorkerTraits } from '../execute/types.js';
import type { Instance } from '../router/types.js';
import { isHeaderName, isHeaderValue } from './_headers.js';
import { joinPath, pathProblem, toBase, type Base } from './_path.js';
import { parseRetryAfter } from './_retryAfter.js';
import type { StandardSchemaV1 } from './_standardSchema.js';
import { HttpStatusError, UpstreamNetworkError, UpstreamResponseError } from './errors.js';
import { readCapped, snippet } from './transport/_read.js';
import { LazySignalRequest, type SignalSource } from './transport/_request.js';
import { defaultTransport } from './transport/default.js';
import { fetchTransport, type FetchLike } from './transport/fetch.js';
import { headerValue, type Transport, type TransportResponse } from './transport/types.js';

export type { FetchLike } from './transport/fetch.js';

/** Headers for one attempt, computed per instance (credentials) and per call (policy hints). */
export type HeadersFactory<Data, Ctx> = (
  instance: Instance,
  call: WorkerCall<Data, Ctx>,
) => HeadersInit | undefined | Promise<HeadersInit | undefined>;

/**
 * The BFF's own credential for each instance (e.g. a short-lived per-instance JWT), sent as
 * `Authorization: Bearer <token>`. Keep the token cache in `get`; `refresh` replaces the token of
 * one instance after that instance refused it (401), and the attempt is retried once.
 */
export interface HttpCredentials {
  /** The current token for `instance`; `undefined` sends no Authorization header. Called per attempt: cache it. */
  get(instance: Instance): string | undefined | Promise<string | undefined>;
  /** Obtains a new token for `instance` (later `get` calls return it). Concurrent refreshes of one instance share one call. */
  refresh(instance: Instance): void | Promise<void>;
}

/** Methods whose repetition has the effect of one request (RFC 9110 §9.2.2). */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Options of `httpWorker`. */
export interface HttpWorkerOptions<T, Data = unknown, Ctx = unknown> {
  /**
   * Path (and query) joined onto `instance.url`'s path; a function builds it per call. Paths that
   * could leave the instance's base path or origin (`..`, `%2e%2e`, `%2f`, `\`, `//host`,
   * absolute URLs) are refused before any request is sent.
   */
  path: string | ((call: WorkerCall<Data, Ctx>) => string);
  /**
   * GET, HEAD, OPTIONS, PUT and DELETE are idempotent: retried and hedged. POST and PATCH are
   * not, unless `idempotent: true`, `idempotencyKey` or a static `Idempotency-Key` header says so.
   * @default 'GET', or 'POST' when `json` is set
   */
  method?: string;
  /**
   * Whether repeating the request is safe, overriding what the method says (see docs/idempotency.md).
   * @default true for GET, HEAD, OPTIONS, PUT, DELETE; for POST and PATCH only with an idempotency key
   */
  idempotent?: boolean;
  /**
   * Sends `Idempotency-Key: <key>` with every attempt of a call (retries and hedges carry the same
   * key), which makes a POST or PATCH safe to repeat on a server that honours it.
   */
  idempotencyKey?: (call: WorkerCall<Data, Ctx>) => string;
  /** The BFF's per-instance credential, sent as a Bearer token and refreshed once after a 401. */
  credentials?: HttpCredentials;
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
/** Instance URLs remembered per worker; a router that invents URLs per call only refills the cache. */
const MAX_CACHED_BASES = 1_024;
const UTF8 = new TextDecoder();

/** A header value computed per call, checked before it is sent. */
function checked(instance: Instance, value: string): string {
  if (!isHeaderValue(value)) throw invalidHeader(instance);
  return value;
}

const optionsSchema = v.object({
  path: expected<unknown>('a function or a path starting with / that stays inside the instance', (v) => typeof v === 'function' || (typeof v === 'string' && pathProblem(v) === undefined)),
  method: expected<string>('an HTTP method token', (v) => typeof v === 'string' && isHeaderName(v)).optional(),
  json: expected<unknown>('a boolean or a function', (v) => typeof v === 'boolean' || typeof v === 'function').optional(),
  headers: expected<unknown>(
    'a function, or headers (an object, a list of pairs or a Headers)',
    (v) => typeof v === 'function' || (typeof v === 'object' && v !== null),
  ).optional(),
  deadlineHeader: expected<string | false>(
    'a header name or false',
    (v) => v === false || (typeof v === 'string' && isHeaderName(v)),
  ).optional(),
  schema: expected<unknown>(
    'a Standard Schema (an object with `~standard.validate`)',
    (v) =>
      typeof v === 'object' && v !== null && typeof (v as StandardSchemaV1)['~standard']?.validate === 'function',
  ).optional(),
  responseType: v.enum(['json', 'text']).optional(),
  maxResponseBytes: positiveInteger.optional(),
  transport: expected<Transport>(
    'a transport (an object with `request` and `close`)',
    (v) => typeof v === 'object' && v !== null && typeof (v as Transport).request === 'function',
  ).optional(),
  fetch: fn<FetchLike>().optional(),
  clock: v.any().optional(),
  idempotent: v.boolean().optional(),
  idempotencyKey: fn<(call: unknown) => string>().optional(),
  credentials: expected<HttpCredentials>(
    'an object with `get(instance)` and `refresh(instance)` functions',
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      typeof (v as HttpCredentials).get === 'function' &&
      typeof (v as HttpCredentials).refresh === 'function',
  ).optional(),
});

const HTTP_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

/**
 * Copies header fields into `out` (lower-case names, repeated names combined with `, `, values
 * trimmed as `Headers` does), checking each; false when a name or value is not valid HTTP. A plain
 * object, the usual shape, is read directly rather than through a `Headers` per call.
 */
function copyHeaders(init: HeadersInit, out: Record<string, string>): boolean {
  if (Object.getPrototypeOf(init) !== Object.prototype && Object.getPrototypeOf(init) !== null) {
    let copied: Headers;
    try {
      copied = new Headers(init);
    } catch {
      return false;
    }
    let valid = true;
    copied.forEach((value, name) => {
      if (!isHeaderName(name) || !isHeaderValue(value)) valid = false;
      else out[name] = value;
    });
    return valid;
  }
  const record = init as Record<string, string>;
  for (const key in record) {
    if (!isHeaderName(key)) return false;
    const value = String(record[key]).replace(HTTP_WHITESPACE, '');
    if (!isHeaderValue(value)) return false;
    const name = key.toLowerCase();
    const before = out[name];
    out[name] = before === undefined ? value : `${before}, ${value}`;
  }
  return true;
}

/** The static headers as a checked record, or undefined when one of them is not valid HTTP. */
function staticHeaders(init: HeadersInit | undefined): Record<string, string> | undefined {
  const out = Object.create(null) as Record<string, string>;
  return init === undefined || copyHeaders(init, out) ? out : undefined;
}

/** Whether the call was aborted, and why, read without creating its signal when it has an `Abortable`. */
function abortedOf(call: SignalSource, abortable: Abortable | undefined): { reason: unknown } | undefined {
  const source = abortable ?? call.signal;
  return source.aborted ? { reason: source.reason } : undefined;
}

function invalidPath(instance: Instance, path: unknown): SwitchyardError {
  const error = new SwitchyardError('INVALID_INPUT', `${pathProblem(path) ?? 'path would leave the instance'} (instance ${instance.id})`, {
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
 * The worker tells the executor whether it may be repeated (`idempotent`, from the method and any
 * idempotency key) and, with `credentials`, how to refresh an instance's token after a 401.
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
  const idempotencyKey = options.idempotencyKey;
  const fixedHeaders = typeof options.headers === 'function' ? undefined : staticHeaders(options.headers);
  if (fixedHeaders === undefined && typeof options.headers !== 'function') {
    // Not through parseOptions, whose message would quote the value: it may be a credential.
    throw new SwitchyardError('INVALID_CONFIG', 'Expected `httpWorker.headers` to hold valid header names and values (no CR, LF or NUL)');
  }
  const headersFor = typeof options.headers === 'function' ? options.headers : undefined;
  const idempotent =
    options.idempotent ??
    (IDEMPOTENT_METHODS.has(method) || idempotencyKey !== undefined || fixedHeaders?.['idempotency-key'] !== undefined);
  const credentials = options.credentials;
  // A burst of 401s must not mint a token per request: one refresh per instance runs at a time,
  // and a 401 to a request sent before the last refresh finished needs none (it used the old token).
  const refreshing = new Map<string, Promise<void>>();
  const refreshes = new Map<string, number>();
  const sentWith = new WeakMap<object, number>();
  const refreshCredentials = (instance: Instance, error?: unknown): Promise<void> => {
    let running = refreshing.get(instance.id);
    if (running !== undefined) return running;
    const used = typeof error === 'object' && error !== null ? sentWith.get(error) : undefined;
    if (used !== undefined && used < (refreshes.get(instance.id) ?? 0)) return Promise.resolve();
    running = (async () => {
      try {
        await credentials!.refresh(instance);
        refreshes.set(instance.id, (refreshes.get(instance.id) ?? 0) + 1);
      } finally {
        refreshing.delete(instance.id);
      }
    })();
    refreshing.set(instance.id, running);
    return running;
  };
  const deadlineHeader = options.deadlineHeader === false ? false : (options.deadlineHeader ?? 'x-request-deadline-ms').toLowerCase();
  const responseType = options.responseType ?? 'json';
  const maxResponseBytes = options.maxResponseBytes ?? 10 * 1024 * 1024;
  const clock = options.clock ?? systemClock;
  const schema = options.schema;
  const transport = options.transport ?? (options.fetch === undefined ? undefined : fetchTransport({ fetch: options.fetch }));

  const accept = responseType === 'json' ? 'application/json' : '*/*';
  // Instance URLs repeat on every call: split each base once, and with a static path check the
  // joined URL once. Each call still gets a URL of its own, which a transport may keep or change.
  const bases = new Map<string, Base>();
  const joined = new Map<string, string | undefined>();
  const urlFor = (instanceUrl: string, path: string): URL | undefined => {
    const fixed = path === options.path;
    if (fixed && joined.has(instanceUrl)) {
      const href = joined.get(instanceUrl);
      return href === undefined ? undefined : new URL(href);
    }
    let base = bases.get(instanceUrl);
    if (base === undefined) {
      base = toBase(instanceUrl);
      if (bases.size >= MAX_CACHED_BASES) bases.clear();
      bases.set(instanceUrl, base);
    }
    const url = joinPath(base, path);
    if (fixed) {
      if (joined.size >= MAX_CACHED_BASES) joined.clear();
      joined.set(instanceUrl, url?.href);
    }
    return url;
  };

  const worker: Worker<T, Data, Ctx> = async (instance, call) => {
    if (instance.url === undefined) {
      throw Object.assign(
        new SwitchyardError('INVALID_INPUT', `Instance ${instance.id} has no url`, { instances: [instance.id] }),
        { retryable: false },
      );
    }
    const path = typeof options.path === 'function' ? options.path(call) : options.path;
    const url = urlFor(instance.url, path);
    if (url === undefined) throw invalidPath(instance, path);

    const headers = Object.create(null) as Record<string, string>;
    if (headersFor !== undefined) {
      const extra = await headersFor(instance, call);
      // The platform's message would quote the bad value, which may be a credential.
      if (extra !== undefined && !copyHeaders(extra, headers)) throw invalidHeader(instance);
    } else {
      for (const name in fixedHeaders) headers[name] = fixedHeaders[name]!;
    }
    if (idempotencyKey !== undefined) headers['idempotency-key'] = checked(instance, idempotencyKey(call));
    const generation = credentials === undefined ? 0 : (refreshes.get(instance.id) ?? 0);
    if (credentials !== undefined) {
      const token = await credentials.get(instance);
      if (token !== undefined) headers.authorization = checked(instance, `Bearer ${token}`);
    }
    if (deadlineHeader !== false && Number.isFinite(call.deadline)) {
      headers[deadlineHeader] = String(Math.max(0, Math.floor(call.deadline - clock.now())));
    }
    let body: string | undefined;
    if (json !== false) {
      body = JSON.stringify(json === true ? call.data : json(call));
      headers['content-type'] ??= 'application/json';
    }
    headers.accept ??= accept;
    const href = url.href;

    const abortable = abortableOf(call);
    let response: TransportResponse;
    try {
      // Transports never follow redirects: that would send the instance's credentials wherever
      // `Location` points.
      response = await (transport ?? defaultTransport()).request(
        abortable === undefined
          ? { url, method, headers, body: body ?? null, signal: call.signal }
          : new LazySignalRequest(url, method, headers, body ?? null, call, abortable),
      );
    } catch (error) {
      const aborted = abortedOf(call, abortable);
      if (aborted !== undefined) throw aborted.reason;
      throw new UpstreamNetworkError({ cause: error, detail: { url: href } });
    }

    if (response.status < 200 || response.status > 299) {
      const retryAfterMs = parseRetryAfter(headerValue(response.headers, 'retry-after') ?? null, clock.now());
      const text = await snippet(response, ERROR_SNIPPET_BYTES);
      const error = new HttpStatusError(response.status, {
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        detail: text === undefined ? { url: href } : { url: href, body: text },
      });
      if (response.status === 401 && credentials !== undefined) sentWith.set(error, generation);
      throw error;
    }

    let bytes: Uint8Array | undefined;
    try {
      bytes = await readCapped(response, maxResponseBytes);
    } catch (error) {
      const aborted = abortedOf(call, abortable);
      if (aborted !== undefined) throw aborted.reason;
      throw new UpstreamNetworkError({ cause: error, detail: { url: href } });
    }
    if (bytes === undefined) throw new UpstreamResponseError('too-large', { detail: { url: href } });
    const text = UTF8.decode(bytes);

    let value: unknown = text;
    if (responseType === 'json') {
      try {
        value = JSON.parse(text);
      } catch (error) {
        // An empty (or blank) body is no value, not a malformed one.
        if (text.trim() === '') {
          value = undefined;
        } else {
          throw new UpstreamResponseError('malformed-json', {
            cause: error,
            detail: { url: href, body: text.slice(0, ERROR_SNIPPET_BYTES) },
          });
        }
      }
    }
    if (schema === undefined) return value as T;
    const result = await schema['~standard'].validate(value);
    if (result.issues !== undefined) {
      throw new UpstreamResponseError('schema-mismatch', { detail: { url: href, issues: result.issues } });
    }
    return result.value;
  };
  // Read by the executor; the declared type stays `Worker` so Data and Ctx infer from the call site.
  const traits: WorkerTraits = credentials === undefined ? { idempotent } : { idempotent, refreshCredentials };
  return Object.assign(worker, traits);
}
