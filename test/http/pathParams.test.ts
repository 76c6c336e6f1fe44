import { describe, expect, it } from 'vitest';
import { checkPath } from '../../src/http/_path.js';
import { normalizePath } from '../../src/routing/index.js';

describe('dot segments hidden behind path parameters', () => {
  it.each(['/..;/admin', '/a/..;x/admin', '/.;/admin', '/%2e%2e;/admin', '/%252e%252e;jsessionid=1/admin'])(
    'refuses %s in the proxy, which servlet containers would read as a dot segment',
    (path) => {
      expect(checkPath(path)).toMatchObject({ ok: false, reason: 'dot segment' });
    },
  );

  it('still forwards a segment that only contains a semicolon elsewhere', () => {
    expect(checkPath('/files/report;v=2')).toMatchObject({ ok: true, pathname: '/files/report;v=2' });
  });

  it.each(['/..;/admin', '/api/admin;x/users', '/api/%2e%2e;/admin'])('refuses %s before route matching', (path) => {
    expect(normalizePath(path).ok).toBe(false);
  });
});
