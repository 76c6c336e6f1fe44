import { describe, expect, it } from 'vitest';
import { checkPath, joinPath, toBase } from '../../src/http/_path.js';

const base = toBase('http://users.internal/api/v1/');

describe('joinPath', () => {
  it('appends a path and query to the base path', () => {
    expect(joinPath(base, '/users/123?fields=a,b')?.href).toBe('http://users.internal/api/v1/users/123?fields=a,b');
  });

  it('maps an empty path to the base path itself', () => {
    expect(joinPath(base, '')?.href).toBe('http://users.internal/api/v1/');
  });

  it('keeps a trailing slash', () => {
    expect(joinPath(base, '/users/')?.pathname).toBe('/api/v1/users/');
  });

  it('keeps dots in the query, which no hop resolves as a path', () => {
    expect(joinPath(base, '/f?next=../../admin')?.search).toBe('?next=../../admin');
  });

  const refused: [string, string][] = [
    ['/../admin', 'dot segment'],
    ['/users/./x', 'dot segment'],
    ['/%2e%2e/admin', 'dot segment'],
    ['/%2E%2e/admin', 'dot segment'],
    ['/.%2e/admin', 'dot segment'],
    ['/%252e%252e/admin', 'dot segment'],
    ['/a%2fb', 'encoded separator'],
    ['/a%5cb', 'encoded separator'],
    ['/..\\admin', 'forbidden character'],
    ['/\\evil.example', 'forbidden character'],
    ['//evil.example/x', 'empty segment'],
    ['/a//b', 'empty segment'],
    ['/http://evil.example', 'empty segment'],
    ['http://evil.example/x', 'not an absolute path'],
    ['evil', 'not an absolute path'],
    ['/a\r\nInjected: 1', 'forbidden character'],
    ['/a b', 'forbidden character'],
    ['/a#frag', 'forbidden character'],
    ['/a%0d%0ab', 'control character'],
    ['/a%00', 'control character'],
    ['/%E0%A4%A', 'malformed percent-encoding'],
  ];
  for (const [path, reason] of refused) {
    it(`refuses ${JSON.stringify(path)} (${reason})`, () => {
      expect(checkPath(path)).toEqual({ ok: false, reason });
      expect(joinPath(base, path)).toBeUndefined();
    });
  }
});
