import { expected, fn, parseOptions, v } from '../../_internal/validate.js';
import { SwitchyardError } from '../../errors/SwitchyardError.js';
import type { RouteInput } from '../../router/types.js';

/** What an extractor reads: a web `Request`, or the input of a routed call. */
export type ExtractSource = Request | RouteInput<unknown, unknown>;

/** Options of {@link tenantFrom} and {@link regionFrom}: where the value may come from. */
export interface ExtractorOptions {
  /**
   * A path pattern whose `:name` segment holds the value, e.g. `'/tenants/:tenant'`. The pattern
   * matches a prefix of the request path; other segments must be equal. `false` turns it off.
   * @default false
   */
  path?: string | false;
  /** The query parameter that holds the value. `false` turns it off. @default 'tenant' (tenantFrom) / 'region' (regionFrom) */
  query?: string | false;
  /** The header that holds the value. `false` turns it off. @default 'X-Tenant-ID' (tenantFrom) / 'X-Region' (regionFrom) */
  header?: string | false;
  /**
   * Reads the value from a call's data or context (a session's tenant, a tRPC input field).
   * Another source: it must agree with the request's sources when both are present.
   * @default none
   */
  value?: (input: RouteInput<unknown, unknown>) => unknown;
  /**
   * Where a call carries its web `Request`.
   * @default `context.request` or `data` when either is a Request
   */
  request?: (input: RouteInput<unknown, unknown>) => Request | undefined;
}

/**
 * A validated value read from a request or call: the tenant id or the region.
 *
 * `read` answers `undefined` when no source holds a value and throws `INVALID_INPUT` (HTTP 400)
 * naming the source when a value is malformed or two sources disagree.
 */
export interface Extractor {
  /** `tenant id` or `region`, as error messages name it. */
  readonly label: string;
  read(source: ExtractSource): string | undefined;
}

/** Longest accepted tenant id or region. */
export const MAX_EXTRACTED_LENGTH = 128;
const ALLOWED = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const ALLOWED_TEXT = 'A-Z a-z 0-9 . _ : - (starting with a letter or digit)';

const optionsSchema = v.object({
  path: expected<string | false>("a path pattern with one `:name` segment, or false", (v) => v === false || (typeof v === 'string' && v.startsWith('/') && v.split('/').filter((s) => s.startsWith(':')).length === 1)).optional(),
  query: expected<string | false>('a non-empty string or false', (v) => v === false || (typeof v === 'string' && v.length > 0)).optional(),
  header: expected<string | false>('a header name or false', (v) => v === false || (typeof v === 'string' && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v))).optional(),
  value: fn<ExtractorOptions['value']>().optional(),
  request: fn<ExtractorOptions['request']>().optional(),
});

interface Found {
  source: string;
  value: string;
}

/** A web Request, also one from another realm or undici copy (no `instanceof`). */
function isRequest(value: unknown): value is Request {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { url?: unknown; method?: unknown; headers?: { get?: unknown } };
  return typeof candidate.url === 'string' && typeof candidate.method === 'string' && typeof candidate.headers?.get === 'function';
}

function defaultRequest(input: RouteInput<unknown, unknown>): Request | undefined {
  const context = input.context as { request?: unknown } | null | undefined;
  if (typeof context === 'object' && context !== null && isRequest(context.request)) return context.request;
  return isRequest(input.data) ? input.data : undefined;
}

function check(label: string, source: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_EXTRACTED_LENGTH || !ALLOWED.test(value)) {
    // Never echo the value: it is client input and may carry anything.
    throw new SwitchyardError(
      'INVALID_INPUT',
      `Expected the ${label} in ${source} to be 1-${MAX_EXTRACTED_LENGTH} characters of ${ALLOWED_TEXT}`,
    );
  }
  return value;
}

function pathMatcher(pattern: string): (pathname: string) => string | undefined {
  const parts = pattern.split('/').filter(Boolean);
  return (pathname) => {
    const segments = pathname.split('/').filter(Boolean);
    if (segments.length < parts.length) return undefined;
    let captured: string | undefined;
    for (const [index, part] of parts.entries()) {
      const segment = segments[index]!;
      if (part.startsWith(':')) captured = segment;
      else if (part !== segment) return undefined;
    }
    return captured;
  };
}

function create(label: string, defaults: { query: string; header: string }, options: ExtractorOptions = {}): Extractor {
  parseOptions(optionsSchema, options, label === 'tenant id' ? 'tenantFrom' : 'regionFrom');
  const query = options.query ?? defaults.query;
  const header = options.header ?? defaults.header;
  const path = options.path ?? false;
  const matchPath = path === false ? undefined : pathMatcher(path);
  const pathSource = path === false ? '' : `path segment \`${path.split('/').find((s) => s.startsWith(':'))}\``;
  const requestOf = options.request ?? defaultRequest;

  const fromRequest = (request: Request, found: Found[]) => {
    if (matchPath === undefined && query === false && header === false) return;
    let url: URL | undefined;
    if (matchPath !== undefined || query !== false) {
      try {
        url = new URL(request.url);
      } catch {
        throw new SwitchyardError('INVALID_INPUT', 'Expected the request to have an absolute URL');
      }
    }
    if (matchPath !== undefined && url !== undefined) {
      const raw = matchPath(url.pathname);
      if (raw !== undefined) {
        let decoded: string;
        try {
          decoded = decodeURIComponent(raw);
        } catch {
          throw new SwitchyardError('INVALID_INPUT', `Expected the ${label} in ${pathSource} to be percent-encoded correctly`);
        }
        found.push({ source: pathSource, value: check(label, pathSource, decoded) });
      }
    }
    if (query !== false && url !== undefined) {
      const source = `query parameter \`${query}\``;
      for (const value of url.searchParams.getAll(query)) found.push({ source, value: check(label, source, value) });
    }
    if (header !== false) {
      // Repeated headers arrive joined by ", ", which the character check refuses.
      const value = request.headers.get(header);
      const source = `header \`${header}\``;
      if (value !== null) found.push({ source, value: check(label, source, value) });
    }
  };

  return {
    label,
    read(source) {
      const found: Found[] = [];
      if (isRequest(source)) {
        fromRequest(source, found);
      } else {
        const request = requestOf(source);
        if (request !== undefined) fromRequest(request, found);
        if (options.value !== undefined) {
          const value = options.value(source);
          if (value !== undefined && value !== null) found.push({ source: 'the call (`value`)', value: check(label, 'the call (`value`)', value) });
        }
      }
      const first = found[0];
      if (first === undefined) return undefined;
      const other = found.find((f) => f.value !== first.value);
      if (other !== undefined) {
        const sources = first.source === other.source ? `${first.source} (given twice)` : `${first.source} and ${other.source}`;
        throw new SwitchyardError('INVALID_INPUT', `The ${label} in ${sources} disagree; send one ${label}`);
      }
      return first.value;
    },
  };
}

/**
 * Reads the tenant id of a request or call from a path segment, a query parameter, the
 * `X-Tenant-ID` header or the call's data/context, validated.
 *
 * Every configured source is read: a malformed value, or two sources naming different tenants,
 * throws `INVALID_INPUT` (HTTP 400) naming the sources, so a request can never pick the tenant
 * that suits it from several. Values are 1-128 characters of `A-Z a-z 0-9 . _ : -`; no CR, LF or
 * NUL ever passes.
 *
 * @example
 * ```ts
 * import { tenantFrom } from 'switchyard/routing';
 * const tenant = tenantFrom({ path: '/tenants/:tenant', query: false });
 * tenant.read(new Request('http://bff.local/tenants/acme/orders')); // 'acme'
 * ```
 */
export function tenantFrom(options?: ExtractorOptions): Extractor {
  return create('tenant id', { query: 'tenant', header: 'X-Tenant-ID' }, options);
}

/**
 * Reads the region of a request or call from a query parameter, the `X-Region` header, a path
 * segment or the call's data/context, validated like {@link tenantFrom}.
 *
 * @example
 * ```ts
 * import { regionFrom } from 'switchyard/routing';
 * const region = regionFrom();
 * region.read(new Request('http://bff.local/orders?region=eu-west')); // 'eu-west'
 * ```
 */
export function regionFrom(options?: ExtractorOptions): Extractor {
  return create('region', { query: 'region', header: 'X-Region' }, options);
}
