import { describe, expectTypeOf, it } from 'vitest';
import {
  createFanout,
  mergeAll,
  partialWithWarnings,
  staticRouter,
  type Failure,
  type Instance,
  type ShouldRetryState,
  type WorkerCall,
} from '../../src/index.js';
import { httpWorker } from '../../src/http/index.js';

describe('executor edges in types', () => {
  it('accepts a worker that declares idempotent: false and keeps its data type', () => {
    const fanout = createFanout({ router: staticRouter([{ id: 'a' }]) });
    const worker = Object.assign(async (_: Instance, call: WorkerCall<{ id: string }>) => [call.data.id], { idempotent: false });
    const value = fanout.run({ operation: 'charge', data: { id: 'x' }, context: {}, worker, strategy: mergeAll({ order: 'settle' }), idempotent: false });
    expectTypeOf(value).resolves.toEqualTypeOf<string[]>();
  });

  it('gives shouldRetry a typed state', () => {
    createFanout({
      router: staticRouter([{ id: 'a' }]),
      shouldRetry: (state) => {
        expectTypeOf(state).toEqualTypeOf<ShouldRetryState>();
        expectTypeOf(state.outcome).toEqualTypeOf<Failure>();
        return state.retry;
      },
    });
  });

  it('knows the unauthenticated reason of a failure', () => {
    expectTypeOf<Failure['reason']>().toEqualTypeOf<'timeout' | 'failed' | 'unauthenticated'>();
  });

  it('takes an order for partialWithWarnings and credentials for httpWorker', () => {
    partialWithWarnings({ order: 'router' });
    httpWorker({ path: '/x', credentials: { get: (instance) => instance.id, refresh: async () => {} }, idempotencyKey: () => 'k' });
  });
});
