import { describe, expect, it } from 'vitest';
import { createRouteMatcher, type RouteMatcherOptions } from '../../../src/routing/index.js';

const table = [
  {
    path: '/api/*',
    name: 'api',
    targets: [
      { url: 'https://a.internal', weight: 5, id: 'a' },
      { url: 'https://b.internal', weight: 1, id: 'b' },
      { url: 'https://c.internal', weight: 1, id: 'c' },
    ],
  },
];

function picks(count: number, options: RouteMatcherOptions = {}): (string | null)[] {
  const matcher = createRouteMatcher(table, options);
  return Array.from({ length: count }, () => matcher.match({ path: '/api/x' })?.target?.id ?? null);
}

function tally(ids: (string | null)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of ids) counts[String(id)] = (counts[String(id)] ?? 0) + 1;
  return counts;
}

describe('weighted targets', () => {
  it('gives each target exactly its weight share over a full round (smooth round-robin)', () => {
    expect(tally(picks(70))).toEqual({ a: 50, b: 10, c: 10 });
  });

  it('interleaves picks instead of sending a burst to the heaviest target (nginx order 5-1-1)', () => {
    expect(picks(7)).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
  });

  it('skips a target whose breaker is open and shares its traffic among the rest by weight', () => {
    expect(tally(picks(60, { isAvailable: (id) => id !== 'a' }))).toEqual({ b: 30, c: 30 });
  });

  it('returns the route with no target when every target is unavailable', () => {
    const match = createRouteMatcher(table, { isAvailable: () => false }).match({ path: '/api/x' });
    expect([match?.route.name, match?.target]).toEqual(['api', null]);
  });

  it('picks by weight with an injected random source in random mode', () => {
    const sequence = [0, 0.7, 0.72, 0.8, 0.9, 0.99];
    let i = 0;
    const ids = picks(sequence.length, { balance: 'random', random: () => sequence[i++]! });
    // Cumulative weights 5/7 ≈ 0.714 and 6/7 ≈ 0.857 split [0, 1) into a, b and c.
    expect(ids).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
  });

  it('never picks an unavailable target in random mode', () => {
    let i = 0;
    const ids = picks(50, { balance: 'random', random: () => (i++ % 10) / 10, isAvailable: (id) => id !== 'b' });
    expect(ids.filter((id) => id === 'b')).toEqual([]);
  });

  it('builds each target URL from its own base', () => {
    const matcher = createRouteMatcher([
      { path: '/u/:id/*', targets: [{ url: 'https://one.internal/users/:id' }, { url: 'https://two.internal/v2/:id' }] },
    ]);
    const urls = [1, 2].map(() => matcher.match({ path: '/u/9/posts?x=1' })?.target?.url);
    expect(urls).toEqual(['https://one.internal/users/9/posts?x=1', 'https://two.internal/v2/9/posts?x=1']);
  });

  it('defaults a target id to its URL so breakers can be keyed by it', () => {
    const matcher = createRouteMatcher({ '/x': 'https://x.internal/health' }, { isAvailable: (id) => id !== 'https://x.internal/health' });
    expect(matcher.match({ path: '/x' })?.target).toBeNull();
  });
});
