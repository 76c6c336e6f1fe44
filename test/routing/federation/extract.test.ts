import { describe, expect, it } from 'vitest';
import { httpStatusOf } from '../../../src/errors/SwitchyardError.js';
import { regionFrom, tenantFrom } from '../../../src/routing/federation/extract.js';
import { federationRouter } from '../../../src/routing/federation/federationRouter.js';
import { memoryDirectory } from '../../../src/routing/federation/memoryDirectory.js';

const call = (data: unknown, context: unknown = {}) => ({ operation: 'op', data, context, signal: new AbortController().signal });

function thrown(fn: () => unknown): { code?: string; message: string; status: number } {
  try {
    fn();
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message, status: httpStatusOf(error) };
  }
  throw new Error('expected a throw');
}

describe('tenantFrom', () => {
  const tenant = tenantFrom({ path: '/federation/api/onboarding/tenants/:tenantId' });

  it('reads the tenant from a path segment, the query or the X-Tenant-ID header', () => {
    expect(tenant.read(new Request('http://bff.local/federation/api/onboarding/tenants/acme/status'))).toBe('acme');
    expect(tenant.read(new Request('http://bff.local/x?tenant=acme'))).toBe('acme');
    expect(tenant.read(new Request('http://bff.local/x', { headers: { 'X-Tenant-ID': '7f3e-uuid:eu.1_a' } }))).toBe('7f3e-uuid:eu.1_a');
    expect(tenant.read(new Request('http://bff.local/other/tenants/acme'))).toBeUndefined();
  });

  it('accepts several sources when they agree', () => {
    const request = new Request('http://bff.local/federation/api/onboarding/tenants/acme?tenant=acme', { headers: { 'x-tenant-id': 'acme' } });
    expect(tenant.read(request)).toBe('acme');
  });

  it('rejects a path and a header that name different tenants, naming both sources, as a 400', () => {
    const request = new Request('http://bff.local/federation/api/onboarding/tenants/acme', { headers: { 'x-tenant-id': 'globex' } });
    expect(thrown(() => tenant.read(request))).toEqual({
      code: 'INVALID_INPUT',
      message: 'The tenant id in path segment `:tenantId` and header `X-Tenant-ID` disagree; send one tenant id',
      status: 400,
    });
  });

  it('rejects a query parameter given twice with different values', () => {
    expect(thrown(() => tenant.read(new Request('http://bff.local/x?tenant=a&tenant=b'))).message).toBe(
      'The tenant id in query parameter `tenant` (given twice) disagree; send one tenant id',
    );
  });

  it('rejects malformed values without echoing them', () => {
    const bad = ['', 'a'.repeat(129), 'acme\r\nx-admin: 1', 'ac%00me', '../etc', 'a b', 'ünï', '-lead'];
    for (const value of bad) {
      const error = thrown(() => tenant.read(new Request(`http://bff.local/x?tenant=${encodeURIComponent(value)}`)));
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.message).toBe('Expected the tenant id in query parameter `tenant` to be 1-128 characters of A-Z a-z 0-9 . _ : - (starting with a letter or digit)');
    }
    expect(tenant.read(new Request(`http://bff.local/x?tenant=${'a'.repeat(128)}`))).toHaveLength(128);
    expect(thrown(() => tenant.read(new Request('http://bff.local/federation/api/onboarding/tenants/%E0%A4%A'))).message).toBe(
      'Expected the tenant id in path segment `:tenantId` to be percent-encoded correctly',
    );
  });

  it('rejects repeated headers, which arrive joined', () => {
    const headers = new Headers();
    headers.append('x-tenant-id', 'acme');
    headers.append('x-tenant-id', 'globex');
    expect(thrown(() => tenant.read(new Request('http://bff.local/x', { headers }))).code).toBe('INVALID_INPUT');
  });

  it('reads a call: the Request in context.request or data, and a value from the session that must agree', () => {
    const fromSession = tenantFrom({ value: ({ context }) => (context as { tenant?: string }).tenant });
    const request = new Request('http://bff.local/x', { headers: { 'x-tenant-id': 'acme' } });
    expect(fromSession.read(call({}, { request, tenant: 'acme' }))).toBe('acme');
    expect(fromSession.read(call(request))).toBe('acme');
    expect(fromSession.read(call({}, { tenant: 'acme' }))).toBe('acme');
    expect(thrown(() => fromSession.read(call({}, { request, tenant: 'globex' }))).message).toBe(
      'The tenant id in header `X-Tenant-ID` and the call (`value`) disagree; send one tenant id',
    );
    expect(fromSession.read(call({}, {}))).toBeUndefined();
  });

  it('turns sources off with false and refuses bad options at creation', () => {
    const headerOnly = tenantFrom({ query: false });
    expect(headerOnly.read(new Request('http://bff.local/x?tenant=acme'))).toBeUndefined();
    expect(() => tenantFrom({ path: 'tenants/:t' })).toThrow("Expected `tenantFrom.path` to be a path pattern with one `:name` segment, or false, got \"tenants/:t\"");
    expect(() => tenantFrom({ header: 'bad header' })).toThrow('Expected `tenantFrom.header` to be a header name or false');
    expect(() => regionFrom({ other: 1 } as never)).toThrow('Unknown option `regionFrom.other`');
  });
});

describe('regionFrom', () => {
  it('reads the region from the query or X-Region and validates it', () => {
    const region = regionFrom();
    expect(region.read(new Request('http://bff.local/x?region=eu-west'))).toBe('eu-west');
    expect(region.read(new Request('http://bff.local/x', { headers: { 'x-region': 'us-east' } }))).toBe('us-east');
    expect(thrown(() => region.read(new Request('http://bff.local/x?region=eu', { headers: { 'x-region': 'us' } }))).message).toBe(
      'The region in query parameter `region` and header `X-Region` disagree; send one region',
    );
  });
});

describe('federationRouter input', () => {
  const directory = memoryDirectory({
    nodes: [{ id: 'n1', region: 'eu', status: 'active', priority: 0 }],
    tenants: [{ tenantId: 'acme', primaryNodeId: 'n1', primaryRegion: 'eu', rules: [] }],
  });

  it('fails a call without a tenant id with INVALID_INPUT, not UNKNOWN_TENANT', async () => {
    const router = federationRouter({ directory, tenant: tenantFrom() });
    await expect(router.route(call(new Request('http://bff.local/x')))).rejects.toMatchObject({ code: 'INVALID_INPUT', message: 'Expected a tenant id in the request' });
  });

  it('fails an unknown tenant closed with a message that does not echo it', async () => {
    const router = federationRouter({ directory, tenant: tenantFrom() });
    const error = await Promise.resolve(router.route(call(new Request('http://bff.local/x?tenant=nobody')))).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNKNOWN_TENANT', message: 'Unknown tenant' });
    expect(httpStatusOf(error)).toBe(404);
  });

  it('reports a directory that cannot be read as TENANT_UNAVAILABLE, keeping its error on cause only', async () => {
    const broken = { tenant: () => Promise.reject(new Error('connect ECONNREFUSED postgres://app:pw@db:5432')), node: () => undefined };
    const router = federationRouter({ directory: broken, tenant: tenantFrom(), fallback: { nodeId: 'n1' } });
    const error = (await Promise.resolve(router.route(call(new Request('http://bff.local/x?tenant=acme')))).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TENANT_UNAVAILABLE', message: 'The federation directory could not be read (tenant)' });
    expect(httpStatusOf(error)).toBe(503);
    expect(JSON.stringify(error)).not.toContain('postgres://');
  });

  it('refuses bad options at creation, naming the field', () => {
    expect(() => federationRouter({ directory, tenant: 'acme' as never })).toThrow(
      'Expected `federationRouter.tenant` to be an extractor from tenantFrom() or regionFrom(), got "acme"',
    );
    expect(() => federationRouter({ directory: {} as never, tenant: tenantFrom() })).toThrow('Expected `federationRouter.directory` to be a FederationDirectory ({ tenant, node })');
    expect(() => federationRouter({ directory, tenant: tenantFrom(), fallback: { nodeId: '' } })).toThrow('Expected `federationRouter.fallback.nodeId` to be a non-empty string');
  });
});
