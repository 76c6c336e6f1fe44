import { describe, expectTypeOf, it } from 'vitest';
import type { InstanceRouter } from '../../src/router/types.js';
import { clientPool, createPolicyStore, memoryPolicyBackend, parsePolicy, shardRouter, type ActivePolicy, type Policy } from '../../src/routing/index.js';

describe('shard routing types', () => {
  it('clientPool infers the key and client types from create', () => {
    const pool = clientPool({ create: (url: string) => ({ url, close: async () => {} }) });
    expectTypeOf(pool.get('x')).resolves.toEqualTypeOf<{ url: string; close: () => Promise<void> }>();
    expectTypeOf(pool.evict).parameter(0).toEqualTypeOf<string>();
  });

  it('shardRouter is an InstanceRouter of the data and context its key function reads', async () => {
    const policy = await parsePolicy('{}');
    expectTypeOf(policy).toEqualTypeOf<Policy>();
    const router = shardRouter<{ orderId: string }, { tenant: string }>({
      policy,
      key: ({ data, context }) => ({ tenant: context.tenant, key: data.orderId }),
    });
    expectTypeOf(router).toEqualTypeOf<InstanceRouter<{ orderId: string }, { tenant: string }>>();
  });

  it('a policy store is a policy source for shardRouter', () => {
    const store = createPolicyStore({ store: memoryPolicyBackend() });
    shardRouter<{ key: string }>({ policy: store, key: ({ data }) => data.key });
    expectTypeOf(store.active()).toEqualTypeOf<ActivePolicy | undefined>();
  });
});
