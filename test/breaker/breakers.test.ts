import { describe, expect, test, vi } from 'vitest';
import { useFakeTimersFromZero } from '../_support/fakeTimers.js';
import { createBreakers, type BreakerOptions, type BreakerStateChange, type Breakers, type Permit } from '../../src/breaker/index.js';
import { isSwitchyardError } from '../../src/errors/SwitchyardError.js';
import type { Instance } from '../../src/router/types.js';

const a: Instance = { id: 'a' };
const b: Instance = { id: 'b' };
const c: Instance = { id: 'c' };
const d: Instance = { id: 'd' };

useFakeTimersFromZero();

/** Breakers that may skip a lone instance (the default cap keeps at least half of a fan-out). */
function solo(options: BreakerOptions = {}) {
  const changes: BreakerStateChange[] = [];
  const breakers = createBreakers({ maxEjectedPercent: 100, ...options, on: { stateChange: (s) => changes.push(s) } });
  return { breakers, changes };
}

function permitFor(breakers: Breakers, instance: Instance = a, operation = 'op'): Permit | 'circuit-open' {
  const decision = breakers.admit([instance], operation).get(instance.id);
  if (decision === undefined) throw new Error(`no decision for ${instance.id}`);
  return decision;
}

function call(breakers: Breakers, outcome: 'success' | 'failure' | 'release', instance: Instance = a, operation = 'op'): void {
  const permit = permitFor(breakers, instance, operation);
  if (permit === 'circuit-open') throw new Error(`${instance.id} is open`);
  permit[outcome]();
}

function failTimes(breakers: Breakers, times: number, instance: Instance = a, operation = 'op'): void {
  for (let i = 0; i < times; i += 1) call(breakers, 'failure', instance, operation);
}

describe('consecutive policy', () => {
  test('a breaker starts closed and admits every instance', () => {
    const { breakers } = solo();
    const admitted = breakers.admit([a, b], 'op');
    expect([...admitted.values()].every((p) => p !== 'circuit-open')).toBe(true);
    expect(breakers.state('a')).toBe('closed');
  });

  test('opens after `threshold` failures in a row and then skips the instance as circuit-open', () => {
    const { breakers, changes } = solo({ policy: { kind: 'consecutive', threshold: 3 } });
    failTimes(breakers, 2);
    expect(breakers.state('a')).toBe('closed');
    failTimes(breakers, 1);
    expect(breakers.state('a')).toBe('open');
    expect(permitFor(breakers)).toBe('circuit-open');
    expect(changes).toEqual([
      { key: 'a', instanceId: 'a', from: 'closed', to: 'open', reason: 'consecutive-failures', openMs: 10_000 },
    ]);
  });

  test('a success between failures resets the consecutive count', () => {
    const { breakers } = solo({ policy: { kind: 'consecutive', threshold: 3 } });
    failTimes(breakers, 2);
    call(breakers, 'success');
    failTimes(breakers, 2);
    expect(breakers.state('a')).toBe('closed');
  });

  test('uses a threshold of 5 by default', () => {
    const { breakers } = solo();
    failTimes(breakers, 4);
    expect(breakers.state('a')).toBe('closed');
    failTimes(breakers, 1);
    expect(breakers.state('a')).toBe('open');
  });
});

describe('release()', () => {
  test('released outcomes (403, 404, cancelled) never open a breaker', () => {
    const { breakers } = solo({ policy: { kind: 'consecutive', threshold: 2 } });
    for (let i = 0; i < 50; i += 1) call(breakers, 'release');
    expect(breakers.state('a')).toBe('closed');
  });

  test('a release neither counts as a failure nor resets the failure count', () => {
    const { breakers } = solo({ policy: { kind: 'consecutive', threshold: 2 } });
    call(breakers, 'failure');
    call(breakers, 'release');
    expect(breakers.state('a')).toBe('closed');
    call(breakers, 'failure');
    expect(breakers.state('a')).toBe('open');
  });

  test('only the first method called on a permit counts', () => {
    const { breakers } = solo({ policy: { kind: 'consecutive', threshold: 2 } });
    const permit = permitFor(breakers) as Permit;
    permit.failure();
    permit.failure();
    permit.failure();
    expect(breakers.state('a')).toBe('closed');
  });
});

describe('open and half-open', () => {
  test('moves from open to half-open once `openMs` has passed', () => {
    const { breakers, changes } = solo({ policy: { kind: 'consecutive', threshold: 1 }, openMs: 1_000 });
    failTimes(breakers, 1);
    vi.advanceTimersByTime(999);
    expect(breakers.state('a')).toBe('open');
    vi.advanceTimersByTime(1);
    expect(breakers.state('a')).toBe('half-open');
    expect(changes.at(-1)).toMatchObject({ from: 'open', to: 'half-open', reason: 'open-elapsed' });
  });

  test('admits at most `halfOpenProbes` probes at once while half-open', () => {
    const { breakers } = solo({ policy: { kind: 'consecutive', threshold: 1 }, openMs: 1_000, halfOpenProbes: 2 });
    failTimes(breakers, 1);
    vi.advanceTimersByTime(1_000);
    const decisions = [permitFor(breakers), permitFor(breakers), permitFor(breakers)];
    expect(decisions.map((p) => (p === 'circuit-open' ? p : 'probe'))).toEqual(['probe', 'probe', 'circuit-open']);
  });

  test('admits a single probe by default', () => {
    const { breakers } = solo({ policy: { kind: 'consecutive', threshold: 1 }, openMs: 1_000 });
    failTimes(breakers, 1);
    vi.advanceTimersByTime(1_000);
    expect(permitFor(breakers)).not.toBe('circuit-open');
    expect(permitFor(breakers)).toBe('circuit-open');
  });

  test('a released probe frees its slot for the next probe', () => {
    const { breakers } = solo({ policy: { kind: 'consecutive', threshold: 1 }, openMs: 1_000 });
    failTimes(breakers, 1);
    vi.advanceTimersByTime(1_000);
    (permitFor(breakers) as Permit).release();
    expect(breakers.state('a')).toBe('half-open');
    expect(permitFor(breakers)).not.toBe('circuit-open');
  });

  test('closes when a half-open probe succeeds', () => {
    const { breakers, changes } = solo({ policy: { kind: 'consecutive', threshold: 1 }, openMs: 1_000 });
    failTimes(breakers, 1);
    vi.advanceTimersByTime(1_000);
    call(breakers, 'success');
    expect(breakers.state('a')).toBe('closed');
    expect(changes.map((s) => `${s.from}->${s.to}:${s.reason}`)).toEqual([
      'closed->open:consecutive-failures',
      'open->half-open:open-elapsed',
      'half-open->closed:probe-succeeded',
    ]);
  });

  test('reopens with a doubled duration when a half-open probe fails', () => {
    const { breakers, changes } = solo({ policy: { kind: 'consecutive', threshold: 1 }, openMs: 1_000 });
    failTimes(breakers, 1);
    vi.advanceTimersByTime(1_000);
    call(breakers, 'failure');
    expect(changes.at(-1)).toMatchObject({ from: 'half-open', to: 'open', reason: 'probe-failed', openMs: 2_000 });
    vi.advanceTimersByTime(1_999);
    expect(breakers.state('a')).toBe('open');
    vi.advanceTimersByTime(1);
    expect(breakers.state('a')).toBe('half-open');
  });

  test('the open duration doubles on each failed probe up to `maxOpenMs`', () => {
    const { breakers, changes } = solo({ policy: { kind: 'consecutive', threshold: 1 }, openMs: 1_000, maxOpenMs: 5_000 });
    failTimes(breakers, 1);
    for (const wait of [1_000, 2_000, 4_000, 5_000]) {
      vi.advanceTimersByTime(wait);
      call(breakers, 'failure');
    }
    expect(changes.filter((s) => s.to === 'open').map((s) => s.openMs)).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  test('after closing, the next open lasts `openMs` again', () => {
    const { breakers, changes } = solo({ policy: { kind: 'consecutive', threshold: 1 }, openMs: 1_000 });
    failTimes(breakers, 1);
    vi.advanceTimersByTime(1_000);
    call(breakers, 'failure');
    vi.advanceTimersByTime(2_000);
    call(breakers, 'success');
    failTimes(breakers, 1);
    expect(changes.at(-1)).toMatchObject({ from: 'closed', to: 'open', openMs: 1_000 });
  });

  test('outcomes of calls admitted before the breaker opened do not count afterwards', () => {
    const { breakers } = solo({ policy: { kind: 'consecutive', threshold: 1 }, openMs: 1_000 });
    const late = permitFor(breakers) as Permit;
    failTimes(breakers, 1);
    vi.advanceTimersByTime(1_000);
    late.failure();
    expect(breakers.state('a')).toBe('half-open');
  });

  test('a probe that outlives its half-open episode does not count', () => {
    const { breakers } = solo({ policy: { kind: 'consecutive', threshold: 1 }, openMs: 1_000, halfOpenProbes: 2 });
    failTimes(breakers, 1);
    vi.advanceTimersByTime(1_000);
    const first = permitFor(breakers) as Permit;
    const second = permitFor(breakers) as Permit;
    first.success();
    second.failure();
    expect(breakers.state('a')).toBe('closed');
  });
});

describe('ejection cap', () => {
  function allOpen(options: BreakerOptions = {}) {
    const breakers = createBreakers({ policy: { kind: 'consecutive', threshold: 1 }, ...options });
    for (const instance of [a, b, c, d]) {
      (breakers.admit([instance, { id: 'spare-1' }, { id: 'spare-2' }], 'op').get(instance.id) as Permit).failure();
      vi.advanceTimersByTime(10);
    }
    return breakers;
  }

  test('never skips more than `maxEjectedPercent` of one fan-out, calling the breakers opened earliest', () => {
    const breakers = allOpen({ maxEjectedPercent: 50 });
    const decisions = breakers.admit([a, b, c, d], 'op');
    expect([...decisions].filter(([, p]) => p === 'circuit-open').map(([id]) => id)).toEqual(['c', 'd']);
    expect(decisions.get('a')).not.toBe('circuit-open');
    expect(decisions.get('b')).not.toBe('circuit-open');
  });

  test('lets at least one instance be ejected, so a single-instance call is skipped while its breaker is open', () => {
    const breakers = createBreakers({ policy: { kind: 'consecutive', threshold: 1 } });
    (breakers.admit([a], 'op').get('a') as Permit).failure();
    expect(breakers.state('a')).toBe('open');
    expect(breakers.admit([a], 'op').get('a')).toBe('circuit-open');
    expect(breakers.admit([a, b, c], 'op').get('a')).toBe('circuit-open');
  });

  test('a cap of 0 calls every instance whatever its breaker says', () => {
    const breakers = allOpen({ maxEjectedPercent: 0 });
    expect([...breakers.admit([a, b, c, d], 'op').values()]).not.toContain('circuit-open');
  });

  test('a forced call over the cap that succeeds counts as a successful probe and closes the breaker', () => {
    const breakers = allOpen({ maxEjectedPercent: 0 });
    const permit = breakers.admit([a], 'op').get('a') as Permit;
    permit.success();
    expect(breakers.state('a')).toBe('closed');
  });

  test('a forced call over the cap that fails or is released leaves the breaker open, without extending it', () => {
    const breakers = allOpen({ maxEjectedPercent: 0 });
    (breakers.admit([a], 'op').get('a') as Permit).failure();
    (breakers.admit([b], 'op').get('b') as Permit).release();
    expect([breakers.state('a'), breakers.state('b')]).toEqual(['open', 'open']);
  });

  test('counts an instance listed twice once', () => {
    const breakers = allOpen({ maxEjectedPercent: 50 });
    const decisions = breakers.admit([a, a, b, b], 'op');
    expect(decisions.size).toBe(2);
    expect([...decisions.values()].filter((p) => p === 'circuit-open')).toHaveLength(1);
  });
});

describe('ratio policy', () => {
  const ratio = { kind: 'ratio', threshold: 0.5, windowMs: 10_000, minThroughput: 4 } as const;

  test('does not open below the minimum throughput, even when every call fails', () => {
    const { breakers } = solo({ policy: ratio });
    failTimes(breakers, 3);
    expect(breakers.state('a')).toBe('closed');
  });

  test('opens once the window holds enough calls and the failure share reaches the threshold', () => {
    const { breakers, changes } = solo({ policy: ratio });
    call(breakers, 'success');
    call(breakers, 'success');
    call(breakers, 'failure');
    expect(breakers.state('a')).toBe('closed');
    call(breakers, 'failure');
    expect(breakers.state('a')).toBe('open');
    expect(changes[0]).toMatchObject({ reason: 'failure-ratio' });
  });

  test('stays closed while the failure share is under the threshold', () => {
    const { breakers } = solo({ policy: ratio });
    for (let i = 0; i < 20; i += 1) call(breakers, i % 4 === 0 ? 'failure' : 'success');
    expect(breakers.state('a')).toBe('closed');
  });

  test('forgets outcomes older than the window', () => {
    const { breakers } = solo({ policy: ratio });
    failTimes(breakers, 3);
    vi.advanceTimersByTime(11_000);
    call(breakers, 'failure');
    expect(breakers.state('a')).toBe('closed');
  });

  test('released outcomes do not add to the throughput', () => {
    const { breakers } = solo({ policy: ratio });
    for (let i = 0; i < 10; i += 1) call(breakers, 'release');
    failTimes(breakers, 3);
    expect(breakers.state('a')).toBe('closed');
  });
});

describe('scope', () => {
  test("under 'instance' scope every operation shares the instance's breaker", () => {
    const { breakers } = solo({ policy: { kind: 'consecutive', threshold: 2 } });
    call(breakers, 'failure', a, 'orders');
    call(breakers, 'failure', a, 'users');
    expect(breakers.state('a')).toBe('open');
    expect(permitFor(breakers, a, 'search')).toBe('circuit-open');
  });

  test("under 'instance+operation' scope one operation's failures do not open another's breaker", () => {
    const { breakers, changes } = solo({ policy: { kind: 'consecutive', threshold: 2 }, scope: 'instance+operation' });
    failTimes(breakers, 2, a, 'orders');
    expect(breakers.state('a', 'orders')).toBe('open');
    expect(breakers.state('a', 'users')).toBe('closed');
    expect(permitFor(breakers, a, 'orders')).toBe('circuit-open');
    expect(permitFor(breakers, a, 'users')).not.toBe('circuit-open');
    expect(changes[0]).toMatchObject({ key: 'a/orders', instanceId: 'a', operation: 'orders' });
  });

  test("under 'instance+operation' scope, state without an operation is the worst of the instance's breakers", () => {
    const { breakers } = solo({ policy: { kind: 'consecutive', threshold: 1 }, scope: 'instance+operation' });
    call(breakers, 'success', a, 'users');
    failTimes(breakers, 1, a, 'orders');
    expect(breakers.state('a')).toBe('open');
    expect(breakers.state('b')).toBe('closed');
  });
});

describe('report()', () => {
  test('failed reports count like failed calls while closed', () => {
    const { breakers } = solo({ policy: { kind: 'consecutive', threshold: 2 } });
    breakers.report('a', false);
    breakers.report('a', false);
    expect(breakers.state('a')).toBe('open');
  });

  test('a report while half-open acts as the probe', () => {
    const { breakers } = solo({ policy: { kind: 'consecutive', threshold: 1 }, openMs: 1_000 });
    breakers.report('a', false);
    vi.advanceTimersByTime(1_000);
    breakers.report('a', true);
    expect(breakers.state('a')).toBe('closed');
  });

  test('a report while open changes nothing', () => {
    const { breakers } = solo({ policy: { kind: 'consecutive', threshold: 1 }, openMs: 1_000 });
    breakers.report('a', false);
    breakers.report('a', true);
    expect(breakers.state('a')).toBe('open');
  });

  test("under 'instance+operation' scope a report applies to each of the instance's breakers", () => {
    const { breakers } = solo({ policy: { kind: 'consecutive', threshold: 1 }, scope: 'instance+operation' });
    call(breakers, 'success', a, 'orders');
    call(breakers, 'success', a, 'users');
    breakers.report('a', false);
    expect([breakers.state('a', 'orders'), breakers.state('a', 'users')]).toEqual(['open', 'open']);
  });
});

describe('hooks and options', () => {
  test('a throwing stateChange hook does not change what the breakers decide', () => {
    const breakers = createBreakers({
      policy: { kind: 'consecutive', threshold: 1 },
      maxEjectedPercent: 100,
      on: {
        stateChange: () => {
          throw new Error('observer bug');
        },
      },
    });
    failTimes(breakers, 1);
    expect(permitFor(breakers)).toBe('circuit-open');
  });

  test.each([
    [{ policy: { kind: 'consecutive', threshold: 0 } }, 'policy.threshold'],
    [{ policy: { kind: 'ratio', threshold: 1.5, windowMs: 1000, minThroughput: 5 } }, 'policy.threshold'],
    [{ policy: { kind: 'ratio', threshold: 0.5, windowMs: 1000 } }, 'policy.minThroughput'],
    [{ openMs: -1 }, 'openMs'],
    [{ openMs: 10_000, maxOpenMs: 5_000 }, 'maxOpenMs'],
    [{ halfOpenProbes: 1.5 }, 'halfOpenProbes'],
    [{ maxEjectedPercent: 101 }, 'maxEjectedPercent'],
    [{ scope: 'operation' }, 'scope'],
    [{ store: {} }, 'store'],
    [{ on: { stateChange: 'log' } }, 'on.stateChange'],
  ])('rejects %j naming the field', (options, field) => {
    let thrown: unknown;
    try {
      createBreakers(options as BreakerOptions);
    } catch (error) {
      thrown = error;
    }
    expect(isSwitchyardError(thrown) && thrown.code).toBe('INVALID_CONFIG');
    expect((thrown as Error).message).toContain(`Expected \`${field}\``);
  });
});
