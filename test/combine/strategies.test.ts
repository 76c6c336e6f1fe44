import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createFanout,
  defineStrategy,
  firstSuccess,
  mergeAll,
  partialWithWarnings,
  requireInstance,
  staticRouter,
  type Responses,
  type StrategyFor,
} from '../../src/index.js';
import { fail, hang, ok, scripted, seedInstances, status, type Behaviour, expectNothingLeft } from '../_support/instances.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

type Situation = Record<string, Behaviour<string[]>>;
const situations: Record<string, Situation> = {
  'all succeed': { cloud: ok(['g1']), 'enterprise-acme': ok(['g2']), 'enterprise-conf': ok(['g3']) },
  'one 403': { cloud: ok(['g1']), 'enterprise-acme': status(403), 'enterprise-conf': ok(['g3']) },
  'one down': { cloud: ok(['g1']), 'enterprise-acme': fail(), 'enterprise-conf': ok(['g3']) },
  'one timing out': { cloud: ok(['g1']), 'enterprise-acme': hang, 'enterprise-conf': ok(['g3']) },
  'all fail': { cloud: hang, 'enterprise-acme': fail(), 'enterprise-conf': hang },
  'required instance down': { cloud: fail(), 'enterprise-acme': ok(['g2']), 'enterprise-conf': ok(['g3']) },
};

async function run<S extends StrategyFor<string[]>>(situation: Situation, strategy: S) {
  const { worker, calls } = scripted<string[]>(situation);
  const fanout = createFanout({ router: staticRouter(seedInstances), timeoutMs: 1000, retry: false, random: () => 0 });
  const promise = fanout.runDetailed({ operation: 'searchGroups', data: { q: 'eng' }, context: {}, worker, strategy });
  promise.catch(() => {});
  await vi.advanceTimersByTimeAsync(10_000);
  expectNothingLeft();
  return { promise, calls };
}

const SECRET = /hunter2|10\.0\.0\.1|secret body|stack/;

describe('mergeAll', () => {
  const expected: Record<string, string[] | 'ALL_FAILED'> = {
    'all succeed': ['g1', 'g2', 'g3'],
    'one 403': ['g1', 'g3'],
    'one down': ['g1', 'g3'],
    'one timing out': ['g1', 'g3'],
    'all fail': 'ALL_FAILED',
    'required instance down': ['g2', 'g3'],
  };
  it.each(Object.keys(situations))('combines "%s" as the seed says', async (name) => {
    const { promise } = await run(situations[name]!, mergeAll());
    const want = expected[name]!;
    if (want === 'ALL_FAILED') {
      const error = await promise.then(() => undefined, (e: Error) => e);
      expect(error).toMatchObject({ code: 'ALL_FAILED' });
      expect(error?.message).not.toMatch(SECRET);
      expect(error?.message).toContain('enterprise-acme (failed)');
    } else {
      expect((await promise).value.sort()).toEqual(want);
    }
  });

  it('returns an empty list when every instance answers 403 or 404', async () => {
    const { promise } = await run({ cloud: status(403), 'enterprise-acme': status(404), 'enterprise-conf': status(403) }, mergeAll());
    expect((await promise).value).toEqual([]);
  });
});

describe('firstSuccess', () => {
  it('returns the first success and cancels the others', async () => {
    const { promise, calls } = await run({ cloud: ok(['slow'], 500), 'enterprise-acme': ok(['fast'], 10), 'enterprise-conf': hang }, firstSuccess());
    const { value, report } = await promise;
    expect(value).toEqual(['fast']);
    expect(report.finishedBy).toBe('early-finish');
    expect(calls.find((c) => c.instance === 'cloud')?.call.signal.aborted).toBe(true);
    expect(report.instances.find((i) => i.instanceId === 'cloud')).toMatchObject({ status: 'skipped', reason: 'cancelled', cancelled: true });
  });

  it.each(['all succeed', 'one 403', 'one down', 'one timing out', 'required instance down'])('succeeds in "%s"', async (name) => {
    const { promise } = await run(situations[name]!, firstSuccess());
    expect((await promise).value).toHaveLength(1);
  });

  it('throws ALL_FAILED when all fail, naming instances and categories only', async () => {
    const { promise } = await run(situations['all fail']!, firstSuccess());
    const error = await promise.then(() => undefined, (e: Error) => e);
    expect(error).toMatchObject({ code: 'ALL_FAILED', instances: ['enterprise-acme', 'cloud', 'enterprise-conf'] });
    expect(error?.message).toBe('No instance succeeded: enterprise-acme (failed), cloud (timeout), enterprise-conf (timeout)');
    expect(JSON.stringify(error)).not.toMatch(SECRET);
  });

  it('throws FORBIDDEN when every instance answers 403', async () => {
    const { promise } = await run({ cloud: status(403), 'enterprise-acme': status(403), 'enterprise-conf': status(403) }, firstSuccess());
    await expect(promise).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('throws NOT_FOUND when every instance answers 404 or 403', async () => {
    const { promise } = await run({ cloud: status(404), 'enterprise-acme': status(403), 'enterprise-conf': status(404) }, firstSuccess());
    await expect(promise).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('requireInstance', () => {
  it('returns the required instance data when it succeeds', async () => {
    const { promise } = await run(situations['one down']!, requireInstance('cloud'));
    expect((await promise).value).toEqual(['g1']);
  });

  it('ends the call at once when the required instance fails', async () => {
    const { promise, calls } = await run({ cloud: fail('x', 5), 'enterprise-acme': hang, 'enterprise-conf': ok(['g3'], 5000) }, requireInstance('cloud'));
    const error = await promise.then(() => undefined, (e: Error) => e);
    expect(error).toMatchObject({ code: 'REQUIRED_INSTANCE_FAILED', instances: ['cloud'] });
    expect(error?.message).toBe('Required instance cloud did not succeed (failed)');
    expect(calls.filter((c) => c.instance !== 'cloud').every((c) => c.call.signal.aborted)).toBe(true);
  });

  it('combines with an inner strategy once the required instance succeeded', async () => {
    const { promise } = await run(situations['one 403']!, requireInstance('cloud', mergeAll()));
    expect((await promise).value.sort()).toEqual(['g1', 'g3']);
  });

  it('does not let an inner firstSuccess cancel the required instance', async () => {
    const { promise } = await run({ cloud: ok(['g1'], 300), 'enterprise-acme': ok(['g2'], 10), 'enterprise-conf': hang }, requireInstance('cloud', firstSuccess()));
    const { value } = await promise;
    expect(value).toEqual(['g2']);
  });

  it.each(['all fail', 'required instance down'])('throws REQUIRED_INSTANCE_FAILED in "%s"', async (name) => {
    const { promise } = await run(situations[name]!, requireInstance('cloud'));
    await expect(promise).rejects.toMatchObject({ code: 'REQUIRED_INSTANCE_FAILED' });
  });
});

describe('partialWithWarnings', () => {
  it('returns what succeeded and warns about the unavailable instance without upstream text', async () => {
    const { promise } = await run(situations['one timing out']!, partialWithWarnings());
    const { value } = await promise;
    expect(value.data.sort()).toEqual(['g1', 'g3']);
    expect(value.warnings).toEqual([{ instance: 'enterprise-acme', category: 'timeout', message: 'enterprise-acme unavailable (timeout)' }]);
    expect(value.unavailableInstances).toEqual(['enterprise-acme']);
  });

  it('does not warn about 403 unless asked', async () => {
    const { promise } = await run(situations['one 403']!, partialWithWarnings());
    expect((await promise).value.warnings).toEqual([]);
    const second = await run(situations['one 403']!, partialWithWarnings({ includeUnauthorized: true }));
    expect((await second.promise).value.unavailableInstances).toEqual(['enterprise-acme']);
  });

  it('warns with the failure category for a down instance', async () => {
    const { promise } = await run(situations['one down']!, partialWithWarnings());
    const { value } = await promise;
    expect(value.warnings.map((w) => w.category)).toEqual(['failed']);
    expect(JSON.stringify(value)).not.toMatch(SECRET);
  });

  it('throws ALL_FAILED when nothing succeeded unless allowEmpty', async () => {
    const { promise } = await run(situations['all fail']!, partialWithWarnings());
    await expect(promise).rejects.toMatchObject({ code: 'ALL_FAILED' });
    const second = await run(situations['all fail']!, partialWithWarnings({ allowEmpty: true }));
    expect((await second.promise).value.unavailableInstances.sort()).toEqual(['cloud', 'enterprise-acme', 'enterprise-conf']);
  });
});

describe('defineStrategy', () => {
  it('runs a custom strategy that finishes early after two successes', async () => {
    const firstTwo = defineStrategy({
      settle: (_outcome, soFar: Responses<string[]>) => soFar.successes.length >= 2,
      combine: (responses: Responses<string[]>) => responses.successes.map((s) => s.instance.id),
    });
    const { promise } = await run({ cloud: ok(['a'], 10), 'enterprise-acme': ok(['b'], 20), 'enterprise-conf': ok(['c'], 30) }, firstTwo);
    expect((await promise).value).toEqual(['cloud', 'enterprise-acme']);
  });
});
