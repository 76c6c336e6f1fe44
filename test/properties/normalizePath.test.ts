/** Path normalisation is idempotent: a normalised path normalises to itself. */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { isCanonical, normalizePath } from '../../src/routing/path/normalizePath.js';
import { params } from './_seed.js';

/** Segments built from the characters that matter to normalisation: escapes, dots, reserved, unicode. */
const piece = fc.oneof(
  fc.constantFrom('a', 'Z', '0', '-', '.', '_', '~', '!', '$', '&', "'", '(', ')', '*', '+', ',', '=', ':', '@', '|', '^', '[', ']', ' ', '"', '<', '>', '`', '{', '}', 'é', '😀', '..', '%'),
  fc.integer({ min: 0, max: 255 }).map((byte) => `%${byte.toString(16).padStart(2, '0')}`),
  fc.integer({ min: 0, max: 255 }).map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`),
  fc.string({ maxLength: 3 }),
);
const segment = fc.array(piece, { maxLength: 5 }).map((parts) => parts.join(''));
const pathLike = fc
  .tuple(fc.array(segment, { maxLength: 6 }), fc.boolean(), fc.option(fc.string({ maxLength: 8 }), { nil: undefined }))
  .map(([segments, trailing, query]) => `/${segments.join('/')}${trailing ? '/' : ''}${query === undefined ? '' : `?${query}`}`);

it('normalises a normalised path to itself', () => {
  let accepted = 0;
  let changed = 0;
  fc.assert(
    fc.property(fc.oneof(pathLike, fc.string({ unit: 'binary', maxLength: 40 })), (input) => {
      const once = normalizePath(input);
      if (!once.ok) return;
      accepted += 1;
      if (once.path + once.search !== input) changed += 1;
      const twice = normalizePath(once.path + once.search);
      expect(twice).toEqual(once);
    }),
    params(2_000),
  );
  // The property says something only if many inputs were accepted, and many of those rewritten.
  // Over 2,000 runs about 235 are accepted (σ ≈ 15 across seeds) and 135 rewritten: the floors sit
  // five σ below, so no seed fails them by chance.
  expect(accepted).toBeGreaterThan(150);
  expect(changed).toBeGreaterThan(50);
});

it('never lets a dot segment or an empty segment through', () => {
  fc.assert(
    fc.property(pathLike, (input) => {
      const result = normalizePath(input);
      if (!result.ok) return;
      const segments = result.path.slice(1).split('/');
      segments.forEach((s, i) => {
        expect(s === '.' || s === '..').toBe(false);
        if (i < segments.length - 1) expect(s).not.toBe('');
      });
    }),
    params(2_000),
  );
});

it('takes the one-pass fast path exactly for the paths the full check leaves unchanged', () => {
  // The definition the scanner replaced: one regex for the characters and segments, one for dot
  // segments, and no forbidden character or `;`.
  const FAST = /^(?:\/[A-Za-z0-9\-._~!$&'()*+,=:@]+)*\/?$/;
  const DOT = /\/\.\.?(?:\/|$)/;
  let fast = 0;
  fc.assert(
    fc.property(fc.oneof(pathLike, fc.string({ unit: 'binary', maxLength: 40 })), (input) => {
      const pathname = input.split('?', 1)[0]!;
      const expected = pathname.startsWith('/') && FAST.test(pathname) && !DOT.test(pathname);
      expect(isCanonical(pathname)).toBe(expected);
      if (expected) fast += 1;
    }),
    params(2_000),
  );
  for (const path of ['/', '/a', '/a/', '/a/b.c/~d', '/.a', '/a..', '/...']) expect(isCanonical(path)).toBe(true);
  for (const path of ['', 'a', '//', '/a//b', '/a/./b', '/..', '/a/..', '/a%2F', '/a;b', '/a b', '/é', '/a//']) {
    expect(isCanonical(path)).toBe(false);
  }
  expect(fast).toBeGreaterThan(20);
});
