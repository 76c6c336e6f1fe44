import { expect, test, vi } from 'vitest';
import { useFakeTimersFromZero } from '../_support/fakeTimers.js';
import { createBreakers, createHealthChecker, healthyOnly, type HealthCheckState } from '../../src/breaker/index.js';
import { isSwitchyardError } from '../../src/errors/SwitchyardError.js';
import { filterRouter } from '../../src/router/filterRouter.js';
import { staticRouter } from '../../src/router/staticRouter.js';
import type { Instance } from '../../src/router/types.js';

const a: Instance = { id: 'a' };
const b: Instance = { id: 'b' };
const flush = () => vi.advanceTimersByTimeAsync(0);

useFakeTimersFromZero();

/** A check whose answer per instance the test sets; records when each instance was checked. */
function scriptedCheck() {
  const answers = new Map<string, boolean | 'throw' | 'hang'>();
  const checked: { id: string; at: number; signal: AbortSignal }[] = [];
  const check = async (instance: Instance, signal: AbortSignal) => {
    checked.push({ id: instance.id, at: Date.now(), signal });
    const answer = answers.get(instance.id) ?? true;
    if (answer === 'throw') throw new Error('ECONNREFUSED 10.0.0.1:8080');
    if (answer === 'hang') return new Promise<boolean>(() => {});
    return answer;
  };
  return { answers, checked, check };
}

test('checks every instance at start and again after each interval', async () => {
  const { checked, check } = scriptedCheck();
  const health = createHealthChecker({ instances: [a, b], check, intervalMs: 1_000, jitter: 0 });
  health.start();
  await flush();
  await vi.advanceTimersByTimeAsync(2_000);
  health.stop();
  expect(checked.map((c) => `${c.id}@${c.at}`)).toEqual(['a@0', 'b@0', 'a@1000', 'b@1000', 'a@2000', 'b@2000']);
});

test('spreads each wait over intervalMs × [1 − jitter, 1 + jitter]', async () => {
  const { checked, check } = scriptedCheck();
  const draws = [0, 0.75];
  const health = createHealthChecker({ instances: [a], check, intervalMs: 1_000, jitter: 0.2, random: () => draws.shift() ?? 0.5 });
  health.start();
  await flush();
  await vi.advanceTimersByTimeAsync(2_000);
  health.stop();
  expect(checked.map((c) => c.at)).toEqual([0, 800, 1900]);
});

test('an instance whose check fails is unhealthy, and healthyOnly drops it from a router', async () => {
  const { answers, check } = scriptedCheck();
  answers.set('b', false);
  const health = createHealthChecker({ instances: [a, b], check });
  health.start();
  await flush();
  health.stop();
  const router = filterRouter(staticRouter([a, b]), healthyOnly(health));
  const routed = await router.route({ operation: 'op', data: undefined, context: undefined, signal: new AbortController().signal });
  expect(routed.map((i) => i.id)).toEqual(['a']);
});

test('an instance is healthy again after a passing check', async () => {
  const { answers, check } = scriptedCheck();
  answers.set('a', 'throw');
  const health = createHealthChecker({ instances: [a], check, intervalMs: 1_000, jitter: 0 });
  health.start();
  await flush();
  expect(health.isHealthy('a')).toBe(false);
  answers.set('a', true);
  await vi.advanceTimersByTimeAsync(1_000);
  health.stop();
  expect(health.isHealthy('a')).toBe(true);
});

test('instances not checked yet, and unknown ones, count as healthy', () => {
  const health = createHealthChecker({ instances: [a], check: async () => false });
  expect([health.isHealthy('a'), health.isHealthy('zzz')]).toEqual([true, true]);
});

test('a check running past timeoutMs is aborted and counts as unhealthy', async () => {
  const { answers, checked, check } = scriptedCheck();
  answers.set('a', 'hang');
  const states: HealthCheckState[] = [];
  const health = createHealthChecker({ instances: [a], check, timeoutMs: 500, on: { check: (s) => states.push(s) } });
  health.start();
  await vi.advanceTimersByTimeAsync(499);
  expect(states).toEqual([]);
  await vi.advanceTimersByTimeAsync(1);
  health.stop();
  expect(checked[0]!.signal.aborted).toBe(true);
  expect(states).toEqual([{ instance: a, healthy: false, reason: 'timeout' }]);
});

test("a timed-out check's signal says why with a SwitchyardError, and a stopped one's too", async () => {
  const { answers, checked, check } = scriptedCheck();
  answers.set('a', 'hang');
  const health = createHealthChecker({ instances: [a], check, timeoutMs: 500, intervalMs: 1_000, jitter: 0 });
  health.start();
  await vi.advanceTimersByTimeAsync(500);
  await vi.advanceTimersByTimeAsync(1_100);
  health.stop();
  const reasons = checked.map(({ signal }) => signal.reason as unknown);
  expect(reasons.map((reason) => isSwitchyardError(reason) && reason.code)).toEqual(['DEADLINE_EXCEEDED', 'ABORTED']);
});

test('reports why a check failed and keeps what it threw for logs', async () => {
  const { answers, check } = scriptedCheck();
  answers.set('a', 'throw');
  answers.set('b', false);
  const states: HealthCheckState[] = [];
  const health = createHealthChecker({ instances: [a, b], check, on: { check: (s) => states.push(s) } });
  health.start();
  await flush();
  health.stop();
  expect(states.map((s) => [s.instance.id, s.reason]).sort()).toEqual([['a', 'error'], ['b', 'unhealthy']]);
  expect(states.find((s) => s.instance.id === 'a')?.error).toBeInstanceOf(Error);
});

test('failed checks feed the breakers until the instance is skipped', async () => {
  const { answers, check } = scriptedCheck();
  answers.set('a', false);
  const breakers = createBreakers({ policy: { kind: 'consecutive', threshold: 2 }, maxEjectedPercent: 100 });
  const health = createHealthChecker({ instances: [a], check, breakers, intervalMs: 1_000, jitter: 0 });
  health.start();
  await flush();
  expect(breakers.state('a')).toBe('closed');
  await vi.advanceTimersByTimeAsync(1_000);
  health.stop();
  expect(breakers.state('a')).toBe('open');
  expect(breakers.admit([a], 'op').get('a')).toBe('circuit-open');
});

test('a passing check closes a half-open breaker', async () => {
  const breakers = createBreakers({ policy: { kind: 'consecutive', threshold: 1 }, openMs: 1_000 });
  breakers.report('a', false);
  const health = createHealthChecker({ instances: [a], check: async () => true, breakers, intervalMs: 1_000, jitter: 0 });
  health.start();
  await flush();
  expect(breakers.state('a')).toBe('open');
  await vi.advanceTimersByTimeAsync(1_000);
  health.stop();
  expect(breakers.state('a')).toBe('closed');
});

test('stop clears every timer and aborts running checks', async () => {
  const { answers, checked, check } = scriptedCheck();
  answers.set('b', 'hang');
  const health = createHealthChecker({ instances: [a, b], check, intervalMs: 1_000 });
  health.start();
  await flush();
  expect(vi.getTimerCount()).toBe(2);
  health.stop();
  expect(vi.getTimerCount()).toBe(0);
  await flush();
  expect(vi.getTimerCount()).toBe(0);
  expect(checked.find((c) => c.id === 'b')?.signal.aborted).toBe(true);
});

test('a check that settles after stop changes nothing and schedules nothing', async () => {
  let pass: (ok: boolean) => void = () => {};
  const health = createHealthChecker({ instances: [a], check: () => new Promise<boolean>((resolve) => (pass = resolve)) });
  health.start();
  health.stop();
  pass(false);
  await flush();
  expect(health.isHealthy('a')).toBe(true);
  expect(vi.getTimerCount()).toBe(0);
});

test('start can follow stop, and start twice checks once', async () => {
  const { checked, check } = scriptedCheck();
  const health = createHealthChecker({ instances: [a], check, intervalMs: 1_000 });
  health.start();
  health.start();
  await flush();
  health.stop();
  health.start();
  await flush();
  health.stop();
  expect(checked).toHaveLength(2);
  expect(vi.getTimerCount()).toBe(0);
});

const passing = async (): Promise<boolean> => true;

test.each([
  [{ instances: 'a', check: passing }, 'instances'],
  [{ instances: [a] }, 'check'],
  [{ instances: [a], check: passing, intervalMs: 0 }, 'intervalMs'],
  [{ instances: [a], check: passing, jitter: 2 }, 'jitter'],
  [{ instances: [a], check: passing, breakers: {} }, 'breakers'],
])('rejects %j naming the field', (options, field) => {
  let thrown: unknown;
  try {
    createHealthChecker(options as never);
  } catch (error) {
    thrown = error;
  }
  expect(isSwitchyardError(thrown) && thrown.code).toBe('INVALID_CONFIG');
  expect((thrown as Error).message).toContain(`Expected \`${field}\``);
});
