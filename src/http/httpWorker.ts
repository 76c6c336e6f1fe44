import { systemClock, type Clock } from '../_internal/clock.js';
import { expected, fn, parseOptions, positiveInteger, v } from '../_internal/validate.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { Worker, WorkerCall } from '../execute/types.js';
import type { Instance } from '../router/types.js';
import { isHeaderName, isHeaderValue } from './_headers.js';
import { joinPath, pathProblem, toBase } from './_path.js';
import { parseRetryAfter } from './_retryAfter.js';
import type { StandardSchemaV1 } from './_standardSchema.js';
import { HttpStatusError, UpstreamNetworkError, UpstreamResponseError } from './errors.js';

/** A fetch-compatible function; the global `fetch` by default. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

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
  /** @default globalThis.fetch */
  fetch?: FetchLike;
  /** Time source for the deadline header and Retry-After dates. @default systemClock */
  clock?: Clock;
}

const ERROR_SNIPPET_BYTES = 1024;

const optionsSchema = v.object({
  path: expected<unknown>('a function or a path starting with / that stays inside the instance', (v) => typeof v === 'function' || (typeof v === 'string' && pathProblem(v) === undefined)),
  method: expected<string>('an HTTP method token', (v) => typeof v === 'string' && isHeaderName(v)).optional(),
  json: expected<unknown>('a boolean or a function', (v) => typeof v === 'boolean' || typeof v === 'function').optional(),
  headers: v.any().optional(),
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
  fetch: fn<FetchLike>().optional(),
  clock: v.any().optional(),
});

/** Reads at most `limit` bytes; `undefined` when the body is longer (the rest is cancelled). */
async function readCapped(response: Response, limit: number): Promise<Uint8Array | undefined> {
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** The first bytes of an error body for server logs; never throws, always releases the body. */
async function snippet(response: Response): Promise<string | undefined> {
  if (response.body === null) return undefined;
  const reader = response.body.getReader();
  try {
    const { value } = await reader.read();
    return value === undefined ? undefined : new TextDecoder().decode(value.subarray(0, ERROR_SNIPPET_BYTES));
  } catch {
    return undefined;
  } finally {
    await reader.cancel().catch(() => {});
  }
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
 * A worker that calls `instance.url` over HTTP with `fetch` and returns the (validated) JSON.
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

  return async (instance, call) => {
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (instance.url === undefined) {
      throw Object.assign(
        new SwitchyardError('INVALID_INPUT', `Instance ${instance.id} has no url`, { instances: [instance.id] }),
        { retryable: false },
      );
    }
    const path = typeof options.path === 'function' ? options.path(call) : options.path;
    const url = joinPath(toBase(instance.url), path);
    if (url === undefined) throw invalidPath(instance, path);
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

    let response: Response;
    try {
      response = await fetchImpl(href, {
        method,
        headers,
        body: body ?? null,
        signal: call.signal,
        // Following a redirect would send the instance's credentials wherever it points.
        redirect: 'manual',
      });
    } catch (error) {
      if (call.signal.aborted) throw call.signal.reason;
      throw new UpstreamNetworkError({ cause: error, detail: { url: href } });
    }

    if (response.status < 200 || response.status > 299) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), clock.now());
      const text = await snippet(response);
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
