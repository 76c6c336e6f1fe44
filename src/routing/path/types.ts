import type { RouteKind } from './pattern.js';

export type { RouteKind } from './pattern.js';

/** A header condition: the exact value, or a RegExp the value must match. */
export type HeaderCondition = string | RegExp;

/** One of several upstreams a route can send to. */
export interface RouteTarget {
  /** Absolute http(s) URL without credentials, query or fragment; `:name` segments take the route's params. */
  url: string;
  /**
   * Share of the route's traffic, relative to the other targets.
   * @default 1
   */
  weight?: number;
  /**
   * Identity passed to `isAvailable` (e.g. a breaker's instance id).
   * @default the target's `url`
   */
  id?: string;
}

/** A route of a route table, in the array form. */
export interface RouteDefinition {
  /** Path pattern: literals, `:param`, `*` (one segment; as the last segment, everything under the prefix) and a trailing `**`. */
  path: string;
  /** The one upstream of this route. Give either `target` or `targets`. */
  target?: string;
  /** Several weighted upstreams. Give either `target` or `targets`. */
  targets?: readonly RouteTarget[];
  /**
   * Methods this route answers (case-insensitive).
   * @default every method
   */
  methods?: readonly string[];
  /**
   * Headers the request must carry (names case-insensitive), each with its exact value or a RegExp
   * its value must match. An `undefined` entry sets no condition.
   * @default no header condition
   */
  headers?: Readonly<Record<string, HeaderCondition | undefined>>;
  /**
   * Label used in logs and in error bodies (`{ error, target }`), so clients never see an upstream URL.
   * @default the path pattern
   */
  name?: string;
}

/**
 * A route table: the seed's JSON object (`{ "/api/*": "https://api.example.com" }`, whose values
 * may also be route objects without `path`), or an array of route objects. Key order does not
 * matter: routes are tried most specific first.
 */
export type RouteTable =
  | Readonly<Record<string, string | Omit<RouteDefinition, 'path'>>>
  | readonly RouteDefinition[];

/** A route as the matcher holds it after validation. */
export interface RouteInfo {
  /** The label of the route. */
  readonly name: string;
  /** The pattern as written. */
  readonly path: string;
  /** Where the route sits in the specificity order. */
  readonly kind: RouteKind;
  /** Upper-cased methods, or undefined for every method. */
  readonly methods: readonly string[] | undefined;
  readonly targets: readonly { readonly id: string; readonly url: string; readonly weight: number }[];
}

/** The upstream a matched request goes to. */
export interface MatchedTarget {
  /** The target's id (its URL unless one was given). */
  readonly id: string;
  /** Scheme, host and port of the upstream. */
  readonly origin: string;
  /** Path and query to request on `origin`. */
  readonly path: string;
  /** `origin` + `path`. */
  readonly url: string;
}

/** The route a request matched and where it should go. */
export interface RouteMatch {
  readonly route: RouteInfo;
  /** `:name` values, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The normalised request path that was matched (no query). */
  readonly path: string;
  /** The request's query with its `?`, or ''. */
  readonly search: string;
  /** The chosen upstream, or null when every target of the route is unavailable. */
  readonly target: MatchedTarget | null;
}

/** Headers as a `Headers` object or a plain record (Node's `IncomingHttpHeaders` fits). */
export type HeadersInput = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/** What the matcher needs from a request: a web `Request`, or its method, path and headers. */
export type MatchInput =
  | Request
  | {
      /** @default 'GET' */
      method?: string;
      /** Path with optional query, as sent by the client (e.g. Node's `req.url`). */
      path: string;
      headers?: HeadersInput;
    };
