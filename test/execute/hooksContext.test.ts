import { describe, expect, it } from 'vitest';
import { createFanout, fanOutTo, mergeAll, staticRouter, type Instance } from '../../src/index.js';

const instances: Instance[] = [{ id: 'cloud' }, { id: 'enterprise-acme' }];

describe('hook states', () => {
  it('carry the context of the call they belong to', async () => {
    const seen: string[] = [];
    const fanout = createFanout<unknown, { tenant: string }>({
      router: staticRouter(instances),
      on: {
        attempt: (state) => seen.push(`attempt ${state.instance.id} ${state.context.tenant}`),
        finish: (state) => seen.push(`finish ${state.context.tenant}`),
      },
    });
    await fanout.run({ operation: 'get', data: {}, context: { tenant: 'acme' }, worker: async (i) => i.id, strategy: mergeAll() });
    await fanout.run({ operation: 'get', data: {}, context: { tenant: 'globex' }, worker: async (i) => i.id, strategy: mergeAll() });
    expect(seen).toEqual([
      'attempt cloud acme',
      'attempt enterprise-acme acme',
      'finish acme',
      'attempt cloud globex',
      'attempt enterprise-acme globex',
      'finish globex',
    ]);
  });

  it('carry the context given to a standalone fanOutTo', async () => {
    const contexts: unknown[] = [];
    await fanOutTo(instances, async (i) => i.id, { context: { user: 'u1' }, on: { outcome: (state) => contexts.push(state.context) } });
    expect(contexts).toEqual([{ user: 'u1' }, { user: 'u1' }]);
  });
});
