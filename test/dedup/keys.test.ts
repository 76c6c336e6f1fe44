import { describe, expect, it } from 'vitest';
import { createDedup } from '../../src/dedup/index.js';

describe('dedup keys', () => {
  it('never shares between calls whose operation and principal only join to the same text', async () => {
    const dedup = createDedup({ ttlMs: 60_000 });
    const params = { id: 1 };
    const first = await dedup.run({ operation: 'getUser', principal: 'alice\u0000p:bob', data: params }, async () => 'for alice\u0000p:bob');
    const second = await dedup.run({ operation: 'getUser\u0000p:alice', principal: 'bob', data: params }, async () => 'for bob');
    expect([first, second]).toEqual(['for alice\u0000p:bob', 'for bob']);
  });

  it('never joins such calls in flight', async () => {
    const dedup = createDedup();
    const params = { id: 1 };
    const [first, second] = await Promise.all([
      dedup.run({ operation: 'getUser', principal: 'alice\u0000p:bob', data: params }, async () => 'for alice\u0000p:bob'),
      dedup.run({ operation: 'getUser\u0000p:alice', principal: 'bob', data: params }, async () => 'for bob'),
    ]);
    expect([first, second]).toEqual(['for alice\u0000p:bob', 'for bob']);
  });
});
