import { describe, expectTypeOf, it } from 'vitest';
import {
  createFanout,
  defineStrategy,
  firstSuccess,
  mergeAll,
  partialWithWarnings,
  requireInstance,
  staticRouter,
  type PartialResult,
  type Responses,
  type Worker,
} from '../../src/index.js';

interface Group {
  id: string;
  name: string;
}
const fanout = createFanout({ router: staticRouter([{ id: 'cloud' }]) });
const worker: Worker<Group[]> = async () => [];
const one: Worker<Group> = async () => ({ id: '1', name: 'g' });
const base = { operation: 'search', data: {}, context: {} };

describe('inference', () => {
  it('infers the element type of mergeAll from the worker', () => {
    expectTypeOf(fanout.run({ ...base, worker, strategy: mergeAll() })).resolves.toEqualTypeOf<Group[]>();
  });

  it('infers firstSuccess and requireInstance results', () => {
    expectTypeOf(fanout.run({ ...base, worker: one, strategy: firstSuccess() })).resolves.toEqualTypeOf<Group>();
    expectTypeOf(fanout.run({ ...base, worker: one, strategy: requireInstance('cloud') })).resolves.toEqualTypeOf<Group>();
    expectTypeOf(fanout.run({ ...base, worker, strategy: requireInstance('cloud', mergeAll()) })).resolves.toEqualTypeOf<Group[]>();
  });

  it('infers partialWithWarnings', () => {
    expectTypeOf(fanout.run({ ...base, worker, strategy: partialWithWarnings() })).resolves.toEqualTypeOf<PartialResult<Group>>();
  });

  it('infers a custom strategy defined with defineStrategy', () => {
    const count = defineStrategy({ combine: (responses: Responses<Group[]>) => responses.successes.length });
    expectTypeOf(fanout.run({ ...base, worker, strategy: count })).resolves.toEqualTypeOf<number>();
  });

  it('types collect as the categorised responses of the worker', () => {
    expectTypeOf(fanout.collect({ ...base, worker })).resolves.toEqualTypeOf<Responses<Group[]>>();
  });

  it('rejects a strategy whose element type does not match the worker', () => {
    const numbers = defineStrategy({ combine: (r: Responses<number>) => r.all.length });
    // @ts-expect-error the strategy expects number outcomes, the worker returns Group[]
    void fanout.run({ ...base, worker, strategy: numbers });
  });
});
