import { describe, expect, it } from 'vitest';
import { createDedup } from '../../src/dedup/index.js';
import { memoryStore } from '../../src/stores/memoryStore.js';

describe('createDedup options', () => {
  it('names the field and the value in a bad-config message', () => {
    expect(() => createDedup({ ttlMs: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', message: 'Expected `ttlMs` to be a finite number >= 0, got -1' }),
    );
    expect(() => createDedup({ storeTimeoutMs: 0 })).toThrow('Expected `storeTimeoutMs` to be a finite number > 0, got 0');
    expect(() => createDedup({ maxValueBytes: 1.5 })).toThrow('Expected `maxValueBytes` to be an integer >= 1, got 1.5');
    expect(() => createDedup({ namespace: '' })).toThrow('Expected `namespace` to be a non-empty string, got ""');
  });

  it('rejects a store that is not a Store', () => {
    expect(() => createDedup({ store: { get() {} } as never })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringContaining('`store`') }));
  });

  it('rejects memory limits next to a given store, since they would be ignored', () => {
    expect(() => createDedup({ store: memoryStore(), maxEntries: 10 })).toThrow(
      'Expected `maxEntries` to be set on the store itself when `store` is given, got both',
    );
  });

  it('rejects unknown options and unknown hooks', () => {
    expect(() => createDedup({ ttl: 5 } as never)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => createDedup({ on: { hitt: () => {} } } as never)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });

  it('rejects a call with an empty operation or a negative ttlMs with INVALID_INPUT', async () => {
    const dedup = createDedup();
    await expect(dedup.run({ operation: '', principal: 'a', data: 1 }, async () => 1)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(dedup.run({ operation: 'x', principal: 'a', data: 1, ttlMs: -5 }, async () => 1)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});
