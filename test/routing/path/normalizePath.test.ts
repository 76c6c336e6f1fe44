import { describe, expect, it } from 'vitest';
import { createRouteMatcher, normalizePath } from '../../../src/routing/index.js';

describe('normalizePath', () => {
  it('keeps a plain path and splits off its query', () => {
    expect(normalizePath('/api/users/1?x=1&y=%20')).toEqual({ ok: true, path: '/api/users/1', search: '?x=1&y=%20' });
  });

  it('decodes encoded unreserved characters and upper-cases the remaining escapes', () => {
    expect(normalizePath('/%7euser/%41%2d%c3%a9')).toEqual({ ok: true, path: '/~user/A-%C3%A9', search: '' });
  });

  it('treats the empty string as the root', () => {
    expect(normalizePath('')).toEqual({ ok: true, path: '/', search: '' });
  });

  it.each([
    ['//evil.example/x', 'empty segment'],
    ['/a//b', 'empty segment'],
    ['/a/./b', 'dot segment'],
    ['/a/%2e%2E/b', 'dot segment'],
    ['/a/%252e%252e/b', 'dot segment'],
    ['/a/%2F/b', 'encoded separator'],
    ['/a/%5c..', 'encoded separator'],
    ['/a\\..\\b', 'forbidden character'],
    ['/a/%0d%0aSet-Cookie:x', 'control character'],
    ['/a/%zz', 'malformed percent-encoding'],
    ['http://evil.example/', 'not an absolute path'],
    ['/a#frag', 'forbidden character'],
  ])('refuses %s (%s)', (input, reason) => {
    expect(normalizePath(input)).toEqual({ ok: false, reason });
  });

  it('keeps one trailing slash', () => {
    expect(normalizePath('/a/b/')).toEqual({ ok: true, path: '/a/b/', search: '' });
  });

  it('encodes characters outside the Basic Multilingual Plane by code point', () => {
    expect(normalizePath('/🍌')).toEqual({ ok: true, path: '/%F0%9F%8D%8C', search: '' });
    expect(normalizePath('/%f0%9f%8d%8c')).toEqual({ ok: true, path: '/%F0%9F%8D%8C', search: '' });
    expect(normalizePath('/🍎')).not.toEqual(normalizePath('/🍌'));
  });

  it('encodes a lone surrogate as U+FFFD, as URL parsers do', () => {
    expect(normalizePath('/a\ud83c')).toEqual({ ok: true, path: '/a%EF%BF%BD', search: '' });
  });
});

describe('characters a URL keeps raw but RFC 3986 does not allow', () => {
  it.each([
    ['^', '%5E'],
    ['|', '%7C'],
  ])('reads %s as %s, raw or encoded, in a path and in a route, so each matches the other', (raw, escaped) => {
    expect(normalizePath(`/a${raw}b/1`)).toEqual({ ok: true, path: `/a${escaped}b/1`, search: '' });
    expect(normalizePath(`/a${escaped.toLowerCase()}b/1`)).toEqual({ ok: true, path: `/a${escaped}b/1`, search: '' });
    for (const compile of [true, false]) {
      for (const route of [`/a${raw}b/:x`, `/a${escaped}b/:x`]) {
        const matcher = createRouteMatcher({ [route]: 'https://t.internal/:x' }, { compile });
        expect(matcher.match({ path: `/a${raw}b/1` })?.target?.url).toBe('https://t.internal/1');
        expect(matcher.match({ path: `/a${escaped}b/1` })?.target?.url).toBe('https://t.internal/1');
      }
    }
  });

  it('keeps the reserved [ and ] as they are: raw and escaped they are different paths', () => {
    expect(normalizePath('/a[b]/1')).toEqual({ ok: true, path: '/a[b]/1', search: '' });
    expect(normalizePath('/a%5Bb%5D/1')).toEqual({ ok: true, path: '/a%5Bb%5D/1', search: '' });
  });
});
