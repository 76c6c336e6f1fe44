import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/http/_retryAfter.js';

const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');

describe('parseRetryAfter', () => {
  it('reads delay seconds as milliseconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
  });

  it('reads an IMF-fixdate as the milliseconds until then', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now)).toBe(30_000);
  });

  it('reads an obsolete RFC 850 date', () => {
    expect(parseRetryAfter('Wednesday, 21-Oct-15 07:28:10 GMT', now)).toBe(10_000);
  });

  it('clamps a date in the past to zero', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:00:00 GMT', now)).toBe(0);
  });

  it('ignores negative, fractional and garbage values', () => {
    expect([parseRetryAfter('-1', now), parseRetryAfter('1.5', now), parseRetryAfter('soon', now), parseRetryAfter(null, now)]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
