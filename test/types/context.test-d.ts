// The context type is given or inferred once and reaches every place that sees it.
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  createFanout,
  fanOutTo,
  firstSuccess,
  lookupRouter,
  mergeAll,
  staticRouter,
  type Fanout,
  type Instance,
  type InstanceRouter,
  type RouteInput,
  type Worker,
  type WorkerCall,
} from '../../src/index.js';
import { httpWorker } from '../../src/http/index.js';

interface AppCtx {
  user: { id: string };
  policy: string;
}
const instances: Instance[] = [{ id: 'cloud', url: 'https://cloud.internal' }];
const ctx: AppCtx = { user: { id: 'u1' }, policy: 'eu-only' };
const Group = z.object({ id: z.string(), name: z.string() });
type Group = z.infer<typeof Group>;

describe('context given once at createFanout', () => {
  it('types principal from an explicit type argument with a staticRouter', () => {
    const fanout = createFanout<unknown, AppCtx>({
      router: staticRouter(instances),
      principal: (context) => {
        expectTypeOf(context).toEqualTypeOf<AppCtx>();
        return context.user.id;
      },
    });
    expectTypeOf(fanout).toEqualTypeOf<Fanout<unknown, AppCtx>>();
  });

  it('infers the context from an annotated principal, not unknown from staticRouter', () => {
    const fanout = createFanout({ router: staticRouter(instances), principal: (context: AppCtx) => context.user.id });
    expectTypeOf(fanout).toEqualTypeOf<Fanout<unknown, AppCtx>>();
  });

  it('infers the context from a typed router', () => {
    const router = lookupRouter({ lookup: ({ context }: RouteInput<unknown, AppCtx>) => (context.policy === 'eu-only' ? instances : []) });
    const fanout = createFanout({ router });
    expectTypeOf(fanout).toEqualTypeOf<Fanout<unknown, AppCtx>>();
  });

  it('reaches an inline worker and an inline httpWorker headers callback', () => {
    const fanout = createFanout<unknown, AppCtx>({ router: staticRouter(instances) });
    void fanout.run({
      operation: 'search',
      data: { q: 'eng' },
      context: ctx,
      worker: async (_instance, call) => {
        expectTypeOf(call.context).toEqualTypeOf<AppCtx>();
        expectTypeOf(call.data).toEqualTypeOf<{ q: string }>();
        return [] as Group[];
      },
      strategy: mergeAll(),
    });
    const groups = fanout.run({
      operation: 'search',
      data: { q: 'eng' },
      context: ctx,
      worker: httpWorker({
        path: (call) => `/groups?q=${encodeURIComponent(call.data.q)}`,
        headers: (_instance, call) => ({ 'x-policy-hint': call.context.policy }),
        schema: z.array(Group),
      }),
      strategy: mergeAll(),
    });
    expectTypeOf(groups).resolves.toEqualTypeOf<Group[]>();
  });

  it('reaches the workers of an operation and its callers', () => {
    const fanout = createFanout<unknown, AppCtx>({ router: staticRouter(instances) });
    const getGroup = fanout.operation({
      name: 'getGroup',
      worker: httpWorker({
        path: ({ data }: { data: { id: string } }) => `/groups/${encodeURIComponent(data.id)}`,
        headers: (_instance, call) => ({ 'x-policy-hint': call.context.policy }),
        schema: Group,
      }),
      strategy: firstSuccess(),
    });
    expectTypeOf(getGroup).parameters.toEqualTypeOf<[{ id: string }, AppCtx, ({ signal?: AbortSignal } | undefined)?]>();
    expectTypeOf(getGroup({ id: 'g' }, ctx)).resolves.toEqualTypeOf<Group>();
    // @ts-expect-error the context must be an AppCtx
    void getGroup({ id: 'g' }, {});
  });
});

describe('context inferred per call when the fanout does not fix it', () => {
  it('types call.context from the call\'s context with a plain staticRouter fanout', () => {
    const fanout = createFanout({ router: staticRouter(instances) });
    const groups = fanout.run({
      operation: 'search',
      data: { q: 'eng' },
      context: ctx,
      worker: httpWorker({
        path: (call) => `/groups?q=${encodeURIComponent(call.data.q)}`,
        headers: (_instance, call) => ({ 'x-policy-hint': call.context.policy }),
        schema: z.array(Group),
      }),
      strategy: mergeAll(),
    });
    expectTypeOf(groups).resolves.toEqualTypeOf<Group[]>();
  });

  it('types fanOutTo workers from its data and context options', () => {
    void fanOutTo(
      instances,
      async (_instance, call) => {
        expectTypeOf(call.context).toEqualTypeOf<AppCtx>();
        return call.data.q;
      },
      { data: { q: 'x' }, context: ctx },
    );
  });
});

describe('httpWorker on its own', () => {
  it('infers Data and Ctx from an annotated path callback and T from the schema', () => {
    const getUser = httpWorker({
      path: (call: WorkerCall<{ id: string }, AppCtx>) => `/users/${encodeURIComponent(call.data.id)}`,
      headers: (_instance, call) => ({ 'x-policy-hint': call.context.policy }),
      schema: Group,
    });
    expectTypeOf(getUser).toEqualTypeOf<Worker<Group, { id: string }, AppCtx>>();
  });

  it('is accepted by a fanout whose context it needs', () => {
    const getUser = httpWorker({ path: (call: WorkerCall<{ id: string }, AppCtx>) => `/users/${call.data.id}`, schema: Group });
    const fanout = createFanout<unknown, AppCtx>({ router: staticRouter(instances) });
    expectTypeOf(fanout.run({ operation: 'user.get', data: { id: '1' }, context: ctx, worker: getUser, strategy: firstSuccess() })).resolves.toEqualTypeOf<Group>();
  });

  it('is usable as the router of a typed fanout', () => {
    const router: InstanceRouter<unknown, AppCtx> = staticRouter(instances);
    expectTypeOf(createFanout({ router })).toEqualTypeOf<Fanout<unknown, AppCtx>>();
  });
});

describe('data type in dedup settings', () => {
  it('types the dedup key function of an operation by its data', () => {
    const fanout = createFanout({ router: staticRouter(instances), dedup: { ttlMs: 1000 } });
    void fanout.operation({
      name: 'getGroup',
      worker: async (_instance: Instance, call: WorkerCall<{ id: string; verbose: boolean }>) => call.data.id,
      strategy: firstSuccess(),
      dedup: {
        key: (data) => {
          expectTypeOf(data).toEqualTypeOf<{ id: string; verbose: boolean }>();
          return data.id;
        },
      },
    });
  });
});
