import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/_internal/sha256.js';

describe('sha256Hex', () => {
  it('matches node:crypto on every length across the padding boundaries, ASCII and multibyte', () => {
    for (let length = 0; length < 200; length += 1) {
      for (const unit of ['a', 'é', '€', '😀']) {
        const text = unit.repeat(length);
        expect(sha256Hex(text)).toBe(createHash('sha256').update(text).digest('hex'));
      }
    }
  });

  it('matches the FIPS 180-2 test vector for "abc"', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
