import { describe, expectTypeOf, it } from 'vitest';
import { createFanout, firstSuccess, mergeAll, staticRouter, type Worker } from '../../src/index.js';

describe('claims made in docs/typing.md', () => {
  it('types an operation’s data from its worker and its context from the fanout', () => {
    interface Viewer { userId: string }
    const fanout = createFanout<unknown, Viewer>({ router: staticRouter([{ id: 'cloud' }]) });
    const byId: Worker<{ id: string }, { id: string }, Viewer> = async (_instance, call) => ({ id: call.data.id });
    const getGroup = fanout.operation({ name: 'getGroup', worker: byId, strategy: firstSuccess() });
    expectTypeOf(getGroup({ id: 'g-1' }, { userId: 'u' })).resolves.toEqualTypeOf<{ id: string }>();
    // @ts-expect-error the data must be what the worker takes
    void getGroup({ name: 'x' }, { userId: 'u' });
    // @ts-expect-error the context must be a Viewer
    void getGroup({ id: 'g-1' }, {});
    const search: Worker<string[], { q: string }, Viewer> = async () => [];
    const searchAll = fanout.operation({ name: 'search', worker: search, strategy: mergeAll() });
    expectTypeOf(searchAll({ q: 'eng' }, { userId: 'u' })).resolves.toEqualTypeOf<string[]>();
  });
});
