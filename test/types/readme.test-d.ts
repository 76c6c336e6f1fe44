// The README quick start, type-checked so the front page cannot drift from the API.
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createFanout, firstSuccess, mergeAll, staticRouter } from '../../src/index.js';
import { httpWorker } from '../../src/http/index.js';

describe('README quick start', () => {
  it('infers Group[] from the schema through mergeAll and Group through firstSuccess', () => {
    const Group = z.object({ id: z.string(), name: z.string() });
    type Group = z.infer<typeof Group>;
    const fanout = createFanout({
      router: staticRouter([
        { id: 'cloud', url: 'https://cloud.internal' },
        { id: 'enterprise-acme', url: 'https://acme.internal' },
      ]),
      timeoutMs: 2_000,
      deadlineMs: 5_000,
    });
    const groups = fanout.run({
      operation: 'searchGroups', data: { q: 'eng' }, context: {},
      worker: httpWorker({ path: (call) => `/groups?q=${encodeURIComponent(call.data.q)}`, schema: z.array(Group) }),
      strategy: mergeAll(),
    });
    expectTypeOf(groups).resolves.toEqualTypeOf<Group[]>();
    const getGroup = fanout.operation({
      name: 'getGroup',
      worker: httpWorker({ path: ({ data }: { data: { id: string } }) => `/groups/${encodeURIComponent(data.id)}`, schema: Group }),
      strategy: firstSuccess(),
    });
    expectTypeOf(getGroup({ id: 'acme-platform' }, {})).resolves.toEqualTypeOf<Group>();
  });
});
