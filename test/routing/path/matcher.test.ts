import { describe, expect, it } from 'vitest';
import { isSwitchyardError } from '../../../src/index.js';
import { createRouteMatcher, type RouteTable } from '../../../src/routing/index.js';


function url(table: RouteTable, path: string, init: { method?: string; headers?: Record<string, string> } = {}) {
  return createRouteMatcher(table).match({ path, ...init })?.target?.url ?? null;
}

function routeName(table: RouteTable, path: string, init: { method?: string; headers?: Record<string, string> } = {}) {
  return createRouteMatcher(table).match({ path, ...init })?.route.name ?? null;
}

describe('specificity', () => {
  it('lists routes most specific first whatever order the table gives them in', () => {
    const matcher = createRouteMatcher({
      '/*': 'https://a.internal',
      '/api/:v/users/*': 'https://b.internal',
      '/api/*': 'https://c.internal',
      '/api/:id': 'https://d.internal',
      '/api': 'https://e.internal',
      '/api/v1/users/*': 'https://f.internal',
    });
    expect(matcher.routes.map((r) => r.path)).toEqual(['/api', '/api/:id', '/api/v1/users/*', '/api/:v/users/*', '/api/*', '/*']);
  });

  it('prefers a params route over a deeper wildcard that also matches', () => {
    const table = { '/api/v1/users/*': 'https://wild.internal', '/api/:version/users/:id': 'https://param.internal' };
    expect(routeName(table, '/api/v1/users/5')).toBe('/api/:version/users/:id');
  });

  it('between wildcards of equal depth, prefers a literal over a one-segment * at the first difference', () => {
    const table = { '/api/*/orders': 'https://star.internal', '/api/v1/*': 'https://literal.internal' };
    expect(routeName(table, '/api/v1/orders')).toBe('/api/v1/*');
  });

  it('prefers the route with a header condition over the same pattern without one when the header fits', () => {
    const table = [
      { path: '/api/*', target: 'https://stable.internal' },
      { path: '/api/*', target: 'https://canary.internal', headers: { 'x-canary': '1' } },
    ];
    expect(url(table, '/api/x', { headers: { 'x-canary': '1' } })).toBe('https://canary.internal/x');
  });

  it('keeps path specificity above conditions: a deeper route wins over a conditional shallower one', () => {
    const table = [
      { path: '/api/*', target: 'https://canary.internal', headers: { 'x-canary': '1' } },
      { path: '/api/users/*', target: 'https://users.internal' },
    ];
    expect(url(table, '/api/users/1', { headers: { 'x-canary': '1' } })).toBe('https://users.internal/1');
  });

  it('breaks exact ties by table order', () => {
    const table = [
      { path: '/a/:x', target: 'https://first.internal', name: 'first' },
      { path: '/a/:y', target: 'https://second.internal', name: 'second' },
    ];
    expect(routeName(table, '/a/1')).toBe('first');
  });
});

describe('wildcards', () => {
  it('lets a trailing * match the bare prefix too, forwarding to the target root', () => {
    expect(url({ '/api/users/*': 'https://users.internal' }, '/api/users')).toBe('https://users.internal/');
  });

  it('does not let a trailing * match a longer sibling segment (no prefix escape)', () => {
    expect(url({ '/api/users/*': 'https://users.internal' }, '/api/users-admin/1')).toBeNull();
  });

  it('treats a trailing ** exactly like a trailing *', () => {
    expect(url({ '/files/**': 'https://files.internal/v2' }, '/files/a/b.txt')).toBe('https://files.internal/v2/a/b.txt');
  });

  it('matches exactly one segment with a * that is not last', () => {
    const table = { '/tenants/*/health': 'https://health.internal/ping' };
    expect([url(table, '/tenants/acme/health'), url(table, '/tenants/a/b/health')]).toEqual(['https://health.internal/ping', null]);
  });

  it('keeps a trailing slash of the request on the forwarded rest', () => {
    expect(url({ '/api/*': 'https://api.internal' }, '/api/users/')).toBe('https://api.internal/users/');
  });

  it('appends the query to the built URL unchanged', () => {
    expect(url({ '/api/*': 'https://api.internal' }, '/api/search?q=a%20b&page=2')).toBe('https://api.internal/search?q=a%20b&page=2');
  });

  it('appends the rest to the target path', () => {
    expect(url({ '/svc/*': 'https://svc.internal/base/v1/' }, '/svc/x/y')).toBe('https://svc.internal/base/v1/x/y');
  });
});

describe('params', () => {
  it('substitutes :param segments of the target from the path', () => {
    const table = { '/users/:id/posts/:post': 'https://blog.internal/v2/posts/:post/by/:id' };
    expect(url(table, '/users/7/posts/99')).toBe('https://blog.internal/v2/posts/99/by/7');
  });

  it('returns params percent-decoded and forwards them still encoded', () => {
    const match = createRouteMatcher({ '/u/:name': 'https://u.internal/:name' }).match({ path: '/u/J%C3%BCrgen%20K' });
    expect([match?.params, match?.target?.url]).toEqual([{ name: 'Jürgen K' }, 'https://u.internal/J%C3%BCrgen%20K']);
  });

  it('sends a params route without placeholders to its target URL as written', () => {
    expect(url({ '/users/:id': 'https://users.internal/lookup' }, '/users/3')).toBe('https://users.internal/lookup');
  });

  it('does not match a :param against an empty segment', () => {
    expect(url({ '/users/:id': 'https://users.internal' }, '/users/')).toBeNull();
  });
});

describe('method conditions', () => {
  const table = [
    { path: '/orders', target: 'https://writer.internal', methods: ['post', 'PUT'] },
    { path: '/orders', target: 'https://reader.internal' },
  ];

  it('sends a listed method to the method-restricted route', () => {
    expect(url(table, '/orders', { method: 'POST' })).toBe('https://writer.internal/');
  });

  it('falls back to the unrestricted route for another method', () => {
    expect(url(table, '/orders', { method: 'GET' })).toBe('https://reader.internal/');
  });

  it('matches nothing when the only route for the path excludes the method', () => {
    expect(url([{ path: '/orders', target: 'https://writer.internal', methods: ['POST'] }], '/orders', { method: 'DELETE' })).toBeNull();
  });

  it('compares the request method case-insensitively', () => {
    expect(url(table, '/orders', { method: 'put' })).toBe('https://writer.internal/');
  });
});

describe('header conditions', () => {
  const table = [
    { path: '/api/*', target: 'https://eu.internal', headers: { 'X-Region': /^eu-/ } },
    { path: '/api/*', target: 'https://beta.internal', headers: { 'x-beta': 'yes' } },
    { path: '/api/*', target: 'https://default.internal' },
  ];

  it('matches a RegExp condition against the header value', () => {
    expect(url(table, '/api/a', { headers: { 'x-region': 'eu-west-1' } })).toBe('https://eu.internal/a');
  });

  it('requires an exact value for a string condition', () => {
    expect(url(table, '/api/a', { headers: { 'x-beta': 'yes please' } })).toBe('https://default.internal/a');
  });

  it('treats a missing header as not fitting', () => {
    expect(url(table, '/api/a')).toBe('https://default.internal/a');
  });

  it('reads conditions from a web Request', () => {
    const request = new Request('http://gw.local/api/a', { headers: { 'x-beta': 'yes' } });
    expect(createRouteMatcher(table).match(request)?.target?.url).toBe('https://beta.internal/a');
  });

  it('answers the same way every time for a RegExp with the g flag', () => {
    const matcher = createRouteMatcher([
      { path: '/a', target: 'https://g.internal', headers: { 'x-k': /v/g } },
      { path: '/a', target: 'https://other.internal' },
    ]);
    const hits = [1, 2, 3].map(() => matcher.match({ path: '/a', headers: { 'x-k': 'v' } })?.target?.origin);
    expect(hits).toEqual(['https://g.internal', 'https://g.internal', 'https://g.internal']);
  });
});

describe('path normalisation before matching', () => {
  const table = { '/admin/*': 'https://admin.internal', '/*': 'https://public.internal' };

  it('does not read //admin as /admin: the path is refused and nothing matches', () => {
    expect(url(table, '//admin/users')).toBeNull();
  });

  it('refuses an empty segment in the middle of a path', () => {
    expect(url(table, '/public//admin')).toBeNull();
  });

  it('refuses a percent-encoded dot segment (%2e%2E)', () => {
    expect(url(table, '/public/%2e%2E/admin/x')).toBeNull();
  });

  it('refuses an encoded slash (%2F) instead of matching across it', () => {
    expect(url(table, '/public/..%2Fadmin')).toBeNull();
  });

  it('refuses a double-encoded dot segment (%252e%252e)', () => {
    expect(url(table, '/public/%252e%252e/admin')).toBeNull();
  });

  it('refuses a literal dot segment', () => {
    expect(url(table, '/public/../admin')).toBeNull();
  });

  it('refuses a backslash', () => {
    expect(url(table, '/public/..\\admin')).toBeNull();
  });

  it('decodes percent-encoded unreserved characters so both spellings match the same route', () => {
    expect(url({ '/~team/*': 'https://team.internal' }, '/%7Eteam/x')).toBe('https://team.internal/x');
  });

  it('matches a non-ASCII literal route whether the path is raw or percent-encoded', () => {
    const t = { '/café/*': 'https://cafe.internal' };
    expect([url(t, '/caf%C3%A9/menu'), url(t, '/café/menu')]).toEqual(['https://cafe.internal/menu', 'https://cafe.internal/menu']);
  });
});

describe('route table validation', () => {
  function message(table: unknown): string {
    try {
      createRouteMatcher(table as RouteTable);
    } catch (error) {
      if (isSwitchyardError(error) && error.code === 'INVALID_CONFIG') return error.message;
      throw error;
    }
    throw new Error('expected INVALID_CONFIG');
  }

  it('names the bad pattern in the object form', () => {
    expect(message({ '/a/**/b': 'https://x.internal' })).toBe(
      'Expected `routes["/a/**/b"].path` to be a valid route pattern (`**` may only be the last segment), got "/a/**/b"',
    );
  });

  it('names the index and pattern in the array form', () => {
    expect(message([{ path: '/ok', target: 'https://x.internal' }, { path: '/a//b', target: 'https://x.internal' }])).toBe(
      'Expected `routes[1].path` to be a valid route pattern (must not contain an empty segment (`//`)), got "/a//b"',
    );
  });

  it('rejects a * inside a segment', () => {
    expect(message({ '/files/*.png': 'https://x.internal' })).toContain('`*` and `:name` must fill a whole segment');
  });

  it('rejects a repeated parameter name', () => {
    expect(message({ '/a/:id/b/:id': 'https://x.internal' })).toContain('repeats the parameter `:id`');
  });

  it('rejects a target URL with a query', () => {
    expect(message({ '/a': 'https://x.internal/?k=1' })).toMatch(/^Expected `routes\["\/a"\]\.target` to be an absolute http\(s\) URL/);
  });

  it('rejects a target placeholder the pattern does not define', () => {
    expect(message({ '/a/:id': 'https://x.internal/:other' })).toContain('(`:other` is not)');
  });

  it('rejects a route with both target and targets', () => {
    expect(message([{ path: '/a', target: 'https://x.internal', targets: [{ url: 'https://y.internal' }] }])).toContain('`routes[0].target`');
  });

  it('rejects a zero weight', () => {
    expect(message([{ path: '/a', targets: [{ url: 'https://y.internal', weight: 0 }] }])).toBe(
      'Expected `routes[0].targets.0.weight` to be a finite number > 0, got 0',
    );
  });

  it('rejects an unknown route field such as a misspelt `method`', () => {
    expect(message([{ path: '/a', target: 'https://x.internal', method: ['GET'] }])).toBe('Unknown option `routes[0].method`; did you mean `routes[0].methods`?');
  });

  it('rejects a table that is neither an object nor an array', () => {
    expect(message('/a=https://x')).toContain('Expected `routes` to be an object of pattern to target URL or an array of routes');
  });

  it('rejects an unknown matcher option', () => {
    expect(() => createRouteMatcher({}, { balance: 'least-busy' as never })).toThrow("Expected `options.balance` to be 'smooth' or 'random'");
  });
});

describe('matching a web Request', () => {
  it('uses the Request URL path and query', () => {
    const request = new Request('http://gw.local/api/v1/users/123?full=1');
    expect(createRouteMatcher({ '/api/v1/users/*': 'https://user-service.internal' }).match(request)?.target?.url).toBe(
      'https://user-service.internal/123?full=1',
    );
  });

  it('recognises a Request from another fetch implementation by its shape', () => {
    const foreign = { url: 'http://gw.local/api/v1/users/5', method: 'GET', headers: new Headers() } as unknown as Request;
    expect(createRouteMatcher({ '/api/v1/users/*': 'https://user-service.internal' }).match(foreign)?.target?.url).toBe(
      'https://user-service.internal/5',
    );
  });
});

describe('paths outside the Basic Multilingual Plane', () => {
  const table: RouteTable = { '/🍌': 'https://banana.internal/', '/🍎': 'https://apple.internal/' };

  it('matches an encoded emoji to the route written with it, and not to another emoji', () => {
    expect(url(table, '/%F0%9F%8D%8C')).toBe('https://banana.internal/');
    expect(url(table, '/🍌')).toBe('https://banana.internal/');
    expect(url(table, '/🍎')).toBe('https://apple.internal/');
    expect(url(table, '/🍇')).toBeNull();
  });
});

