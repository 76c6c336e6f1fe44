/**
 * Every route table and scenario of seed 002 ("Runtime Routing Implementation"), routed exactly as
 * that document says: one test per scenario.
 */
import { describe, expect, it } from 'vitest';
import { createRouteMatcher, type RouteTable } from '../../../src/routing/index.js';

function routeOf(table: RouteTable, path: string, method = 'GET') {
  const match = createRouteMatcher(table).match({ method, path });
  return match === null ? null : { route: match.route.path, url: match.target?.url ?? null };
}

describe('seed 002: "Route Configuration" table', () => {
  const table = {
    '/api/auth/*': 'https://auth.example.com',
    '/api/users/*': 'https://users.example.com',
    '/api/products/*': 'https://products.example.com',
    '/api/*': 'https://api.example.com',
    '/*': 'https://default.example.com',
  };

  it('sends /api/auth/login to the auth service', () => {
    expect(routeOf(table, '/api/auth/login')).toEqual({ route: '/api/auth/*', url: 'https://auth.example.com/login' });
  });

  it('sends /api/users/123 to the users service', () => {
    expect(routeOf(table, '/api/users/123')).toEqual({ route: '/api/users/*', url: 'https://users.example.com/123' });
  });

  it('sends /api/products/42/reviews to the products service with the rest of the path', () => {
    expect(routeOf(table, '/api/products/42/reviews')).toEqual({
      route: '/api/products/*',
      url: 'https://products.example.com/42/reviews',
    });
  });

  it('sends another /api path to the general API', () => {
    expect(routeOf(table, '/api/orders/7')).toEqual({ route: '/api/*', url: 'https://api.example.com/orders/7' });
  });

  it('sends everything else to the default catch-all', () => {
    expect(routeOf(table, '/pricing')).toEqual({ route: '/*', url: 'https://default.example.com/pricing' });
  });
});

describe('seed 002: "Route Matching Priority"', () => {
  // Written least specific first on purpose: the order in the table must not matter.
  const table = {
    '/*': 'https://root.example.com',
    '/api/*': 'https://api.example.com',
    '/api/users/*': 'https://users-wildcard.example.com',
    '/api/users/:id': 'https://users-param.example.com/users/:id',
    '/api/users/login': 'https://login.example.com/login',
  };

  it('prefers the exact match /api/users/login over every pattern that also matches', () => {
    expect(routeOf(table, '/api/users/login')?.route).toBe('/api/users/login');
  });

  it('prefers the parameter route /api/users/:id over the wildcards', () => {
    expect(routeOf(table, '/api/users/42')).toEqual({ route: '/api/users/:id', url: 'https://users-param.example.com/users/42' });
  });

  it('prefers the wildcard with more segments, /api/users/*, over /api/*', () => {
    expect(routeOf(table, '/api/users/42/orders')?.route).toBe('/api/users/*');
  });

  it('uses /api/* for an /api path no deeper route covers', () => {
    expect(routeOf(table, '/api/teams/1')?.route).toBe('/api/*');
  });

  it('uses the root wildcard /* only when nothing else matches', () => {
    expect(routeOf(table, '/docs/intro')?.route).toBe('/*');
  });
});

describe('seed 002: example scenarios', () => {
  it('scenario 1 (API gateway): GET /api/v1/users/123 proxies to https://user-service.internal/123', () => {
    const table = {
      '/api/v1/auth/*': 'https://auth-service.internal',
      '/api/v1/users/*': 'https://user-service.internal',
      '/api/v1/orders/*': 'https://order-service.internal',
      '/*': 'https://frontend.example.com',
    };
    expect(routeOf(table, '/api/v1/users/123')).toEqual({ route: '/api/v1/users/*', url: 'https://user-service.internal/123' });
  });

  it('scenario 2 (multi-environment): GET /staging/users proxies to https://staging.api.example.com/users', () => {
    const table = {
      '/staging/*': 'https://staging.api.example.com',
      '/production/*': 'https://api.example.com',
      '/*': 'https://dev.api.example.com',
    };
    expect(routeOf(table, '/staging/users')).toEqual({ route: '/staging/*', url: 'https://staging.api.example.com/users' });
  });

  it('scenario 2 (multi-environment): an unprefixed path falls through to the dev catch-all', () => {
    const table = {
      '/staging/*': 'https://staging.api.example.com',
      '/production/*': 'https://api.example.com',
      '/*': 'https://dev.api.example.com',
    };
    expect(routeOf(table, '/users')).toEqual({ route: '/*', url: 'https://dev.api.example.com/users' });
  });

  it('scenario 3 (exact path override): GET /api/health proxies to https://health-service.internal/status', () => {
    const table = {
      '/api/health': 'https://health-service.internal/status',
      '/api/*': 'https://api.example.com',
    };
    expect(routeOf(table, '/api/health')).toEqual({ route: '/api/health', url: 'https://health-service.internal/status' });
  });

  it('error-format example: /api/users/123 under /api/* targets https://api.example.com/users/123', () => {
    const table = { '/api/*': 'https://api.example.com', '/*': 'https://frontend.example.com' };
    expect(routeOf(table, '/api/users/123')?.url).toBe('https://api.example.com/users/123');
  });
});

describe('seed 002: "Example Route Data" (no catch-all)', () => {
  const table = {
    '/api/users/*': 'https://users.example.com',
    '/api/products/*': 'https://products.example.com',
  };

  it('routes a listed prefix', () => {
    expect(routeOf(table, '/api/products/9')?.url).toBe('https://products.example.com/9');
  });

  it('returns no match for a path outside the table, so the function runs', () => {
    expect(routeOf(table, '/checkout')).toBeNull();
  });
});

describe('seed 002: "Best Practices" tables', () => {
  it('1: /api/users/me goes to https://users.example.com/current', () => {
    const table = {
      '/api/users/me': 'https://users.example.com/current',
      '/api/users/*': 'https://users.example.com',
      '/api/*': 'https://api.example.com',
      '/*': 'https://default.example.com',
    };
    expect(routeOf(table, '/api/users/me')?.url).toBe('https://users.example.com/current');
  });

  it('1: another user path goes to https://users.example.com with the rest of the path', () => {
    const table = {
      '/api/users/me': 'https://users.example.com/current',
      '/api/users/*': 'https://users.example.com',
      '/api/*': 'https://api.example.com',
      '/*': 'https://default.example.com',
    };
    expect(routeOf(table, '/api/users/17')?.url).toBe('https://users.example.com/17');
  });

  it('2: versioned prefixes go to their own backends', () => {
    const table = { '/api/v1/*': 'https://api-v1.example.com', '/api/v2/*': 'https://api-v2.example.com' };
    expect([routeOf(table, '/api/v1/items')?.url, routeOf(table, '/api/v2/items')?.url]).toEqual([
      'https://api-v1.example.com/items',
      'https://api-v2.example.com/items',
    ]);
  });

  it('3: the catch-all takes what /api/* does not', () => {
    const table = { '/api/*': 'https://api.example.com', '/*': 'https://frontend.example.com' };
    expect(routeOf(table, '/app/settings')?.url).toBe('https://frontend.example.com/app/settings');
  });
});

describe('seed 002: "Troubleshooting" rules', () => {
  it('matches case-sensitively', () => {
    expect(routeOf({ '/api/*': 'https://api.example.com' }, '/API/users')).toBeNull();
  });

  it('rejects a pattern that does not start with /', () => {
    expect(() => createRouteMatcher({ 'api/*': 'https://api.example.com' })).toThrow(
      'Expected `routes["api/*"].path` to be a valid route pattern (must start with `/`), got "api/*"',
    );
  });
});
