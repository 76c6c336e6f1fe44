import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFanout, mergeAll, staticRouter } from '../../src/index.js';
import { expectNothingLeft, fail, ok, scripted, seedInstances, status } from '../_support/instances.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

async function drive<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  await vi.advanceTimersByTimeAsync(1000);
  return promise;
}

describe('breakers in a fanout', () => {
  it('skips an instance with an open breaker at once, without calling it', async () => {
    const { worker, callsOf } = scripted<string[]>({ cloud: ok(['g1']), 'enterprise-acme': fail(), 'enterprise-conf': ok(['g3']) });
    const fanout = createFanout({ router: staticRouter(seedInstances), retry: false, breaker: { policy: { kind: 'consecutive', threshold: 2 } } });
    for (let i = 0; i < 2; i += 1) await drive(fanout.collect({ operation: 'search', data: {}, context: {}, worker }));
    expect(callsOf('enterprise-acme')).toHaveLength(2);
    const responses = await drive(fanout.collect({ operation: 'search', data: {}, context: {}, worker }));
    expect(callsOf('enterprise-acme')).toHaveLength(2);
    expect(responses.skipped).toEqual([{ status: 'skipped', instance: seedInstances[1], reason: 'circuit-open' }]);
    expectNothingLeft();
  });

  it('never opens a breaker on 403 or 404 answers', async () => {
    const { worker, callsOf } = scripted<string[]>({ cloud: ok(['g1']), 'enterprise-acme': status(403), 'enterprise-conf': status(404) });
    const fanout = createFanout({ router: staticRouter(seedInstances), breaker: { policy: { kind: 'consecutive', threshold: 1 } } });
    for (let i = 0; i < 5; i += 1) await drive(fanout.run({ operation: 'search', data: {}, context: {}, worker, strategy: mergeAll() }));
    expect(callsOf('enterprise-acme')).toHaveLength(5);
    expect(callsOf('enterprise-conf')).toHaveLength(5);
  });

  it('keeps calling instances beyond the ejection cap even when their breakers are open', async () => {
    const { worker } = scripted<string[]>({ '*': fail() });
    const fanout = createFanout({
      router: staticRouter(seedInstances),
      retry: false,
      breaker: { policy: { kind: 'consecutive', threshold: 1 }, maxEjectedPercent: 34 },
    });
    await drive(fanout.collect({ operation: 'search', data: {}, context: {}, worker }));
    const responses = await drive(fanout.collect({ operation: 'search', data: {}, context: {}, worker }));
    // 34% of 3 instances rounds down to 1: only one may be skipped
    expect(responses.skipped).toHaveLength(1);
    expect(responses.errors).toHaveLength(2);
  });

  it('shares one breaker registry between fanouts', async () => {
    const { createBreakers } = await import('../../src/breaker/index.js');
    const breakers = createBreakers({ policy: { kind: 'consecutive', threshold: 1 } });
    const { worker, callsOf } = scripted<string[]>({ cloud: fail(), 'enterprise-acme': ok(['a']), 'enterprise-conf': ok(['c']) });
    const first = createFanout({ router: staticRouter(seedInstances), retry: false, breaker: breakers });
    const second = createFanout({ router: staticRouter(seedInstances), retry: false, breaker: breakers });
    await drive(first.collect({ operation: 'a', data: {}, context: {}, worker }));
    const responses = await drive(second.collect({ operation: 'b', data: {}, context: {}, worker }));
    expect(callsOf('cloud')).toHaveLength(1);
    expect(responses.skipped.map((o) => o.instance.id)).toEqual(['cloud']);
  });

  it('skips the only instance of a single-instance call while its breaker is open', async () => {
    const { worker, callsOf } = scripted<string[]>({ cloud: fail() });
    const fanout = createFanout({ router: staticRouter([seedInstances[0]!]), retry: false, breaker: { policy: { kind: 'consecutive', threshold: 2 } } });
    for (let i = 0; i < 4; i += 1) await drive(fanout.collect({ operation: 'tenant', data: {}, context: {}, worker }));
    expect(callsOf('cloud')).toHaveLength(2);
    expectNothingLeft();
  });
});
