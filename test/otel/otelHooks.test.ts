import { context, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { composeHooks, createBreakers, createFanout, firstSuccess, mergeAll, staticRouter, type Instance } from '../../src/index.js';
import { HttpStatusError, UpstreamNetworkError } from '../../src/http/index.js';
import { ATTR, EVENTS, METRICS, otelHooks, OVERFLOW_VALUE, type OtelHooksOptions } from '../../src/otel/index.js';
import { acme, cloud, conf, expectNothingLeft, fail, hang, ok, scripted, seedInstances, status } from '../_support/instances.js';
import { inMemoryTelemetry, StackContextManager, type Telemetry } from './_support.js';

let telemetry: Telemetry;
beforeEach(() => {
  vi.useFakeTimers();
  telemetry = inMemoryTelemetry();
});
afterEach(async () => {
  vi.useRealTimers();
  await telemetry.shutdown();
});

async function settle<T>(promise: Promise<T>, ms = 60_000): Promise<T> {
  promise.catch(() => {});
  await vi.advanceTimersByTimeAsync(ms);
  return promise;
}

const hooksOf = <Ctx,>(options: OtelHooksOptions<Ctx> = {}) =>
  otelHooks<Ctx>({ tracerProvider: telemetry.tracerProvider, meterProvider: telemetry.meterProvider, ...options });

const callSpans = () => telemetry.spans().filter((span) => span.name.startsWith('fanout '));
const attemptSpans = () => telemetry.spans().filter((span) => span.name.startsWith('fanout.attempt '));
const attemptOf = (instance: string, attempt: number) =>
  attemptSpans().find((span) => span.attributes[ATTR.instance] === instance && span.attributes[ATTR.attempt] === attempt);
const eventsOf = (span: ReadableSpan, name: string) => span.events.filter((event) => event.name === name).map((event) => event.attributes);

describe('otelHooks spans', () => {
  it('records one span per call and one child span per attempt, in the same trace', async () => {
    const hooks = hooksOf();
    const { worker } = scripted<string[]>({ cloud: ok(['a']), 'enterprise-acme': status(403), 'enterprise-conf': ok(['c']) });
    const fanout = createFanout({ router: staticRouter(seedInstances), on: hooks.fanout });
    await settle(fanout.run({ operation: 'search', data: {}, context: {}, worker, strategy: mergeAll() }));

    const [call] = callSpans();
    expect(callSpans()).toHaveLength(1);
    expect(call!.name).toBe('fanout search');
    expect(call!.attributes).toMatchObject({ [ATTR.operation]: 'search', [ATTR.finishedBy]: 'all-settled', [ATTR.instances]: 3, [ATTR.successes]: 2 });
    expect(call!.parentSpanContext).toBeUndefined();
    expect(attemptSpans()).toHaveLength(3);
    for (const span of attemptSpans()) {
      expect(span.spanContext().traceId).toBe(call!.spanContext().traceId);
      expect(span.parentSpanContext?.spanId).toBe(call!.spanContext().spanId);
    }
    expect(attemptOf('cloud', 1)!.attributes).toMatchObject({ [ATTR.outcome]: 'success', [ATTR.hedge]: false, [ATTR.target]: 'cloud' });
    expect(attemptOf('enterprise-acme', 1)!.attributes[ATTR.outcome]).toBe('unauthorized');
    // A 403 means "not this user's instance": not a failure of the attempt.
    expect(attemptOf('enterprise-acme', 1)!.status.code).toBe(0);
    expect(eventsOf(call!, EVENTS.outcome)).toEqual(
      expect.arrayContaining([{ [ATTR.instance]: 'enterprise-acme', [ATTR.outcome]: 'unauthorized' }]),
    );
    expectNothingLeft();
  });

  it('makes the call span a child of the caller’s active span', async () => {
    context.setGlobalContextManager(new StackContextManager());
    const hooks = hooksOf();
    const { worker } = scripted<string>({ cloud: ok('a') });
    const fanout = createFanout({ router: staticRouter([cloud]), on: hooks.fanout });
    const parent = telemetry.tracerProvider.getTracer('app').startSpan('GET /search');
    const running = context.with(trace.setSpan(context.active(), parent), () =>
      fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() }),
    );
    await settle(running);
    parent.end();
    const [call] = callSpans();
    expect(call!.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(call!.spanContext().traceId).toBe(parent.spanContext().traceId);
  });

  it('nests the spans a traced worker opens under its attempt', async () => {
    context.setGlobalContextManager(new StackContextManager());
    const hooks = hooksOf();
    const tracer = telemetry.tracerProvider.getTracer('transport');
    const worker = hooks.traceWorker(async (instance: Instance) => {
      // What an HTTP client instrumentation does: a CLIENT span under the active context.
      tracer.startSpan(`GET ${instance.id}`, {}, context.active()).end();
      return instance.id;
    });
    const fanout = createFanout({ router: staticRouter([cloud, acme]), on: hooks.fanout });
    await settle(fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: mergeAll() }));
    for (const id of ['cloud', 'enterprise-acme']) {
      const client = telemetry.spans().find((span) => span.name === `GET ${id}`);
      expect(client!.parentSpanContext?.spanId).toBe(attemptOf(id, 1)!.spanContext().spanId);
    }
  });

  it('records retries as events and each retry as its own attempt span', async () => {
    const hooks = hooksOf();
    const { worker } = scripted<string>({ cloud: [fail(), ok('a')] });
    const fanout = createFanout({ router: staticRouter([cloud]), retry: { maxAttempts: 2, baseDelayMs: 10 }, random: () => 0.5, on: hooks.fanout });
    await settle(fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() }));
    expect(attemptOf('cloud', 1)!.attributes).toMatchObject({ [ATTR.outcome]: 'error', [ATTR.errorType]: 'Error' });
    expect(attemptOf('cloud', 1)!.status.code).toBe(2);
    expect(attemptOf('cloud', 2)!.attributes[ATTR.outcome]).toBe('success');
    expect(eventsOf(callSpans()[0]!, EVENTS.retry)).toEqual([
      { [ATTR.instance]: 'cloud', [ATTR.attempt]: 1, [ATTR.delayMs]: 5, [ATTR.errorType]: 'Error' },
    ]);
  });

  it("records an upstream status error's status as error.type and other switchyard errors' code", async () => {
    const hooks = hooksOf();
    const worker = async (instance: Instance) => {
      if (instance.id === 'cloud') throw new HttpStatusError(503, { detail: { url: 'https://cloud.internal/x' } });
      throw new UpstreamNetworkError({ cause: new Error('reset'), detail: { url: 'https://acme.internal/x' } });
    };
    const fanout = createFanout({ router: staticRouter([cloud, acme]), on: hooks.fanout });
    await settle(fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: mergeAll() }).catch(() => undefined));
    expect([attemptOf('cloud', 1)!.attributes[ATTR.errorType], attemptOf('enterprise-acme', 1)!.attributes[ATTR.errorType]]).toEqual([
      '503',
      'UPSTREAM_NETWORK',
    ]);
  });

  it('records a hedge as an event and a hedge attempt, and the losing attempt as cancelled', async () => {
    const hooks = hooksOf();
    const { worker } = scripted<string>({ cloud: [hang, ok('fast', 5)] });
    const fanout = createFanout({ router: staticRouter([cloud]), hedge: { delayMs: 50 }, on: hooks.fanout });
    await settle(fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() }));
    expect(attemptOf('cloud', 1)!.attributes).toMatchObject({ [ATTR.hedge]: false, [ATTR.outcome]: 'cancelled' });
    expect(attemptOf('cloud', 2)!.attributes).toMatchObject({ [ATTR.hedge]: true, [ATTR.outcome]: 'success' });
    expect(eventsOf(callSpans()[0]!, EVENTS.hedge)).toEqual([{ [ATTR.instance]: 'cloud', [ATTR.target]: 'cloud', [ATTR.attempt]: 2 }]);
    expectNothingLeft();
  });

  it('marks a failed call as an error with its code, and never records upstream messages', async () => {
    const hooks = hooksOf();
    const { worker } = scripted<string>({ '*': fail('db down: password=hunter2 at http://10.0.0.1/x') });
    const fanout = createFanout({ router: staticRouter(seedInstances), on: hooks.fanout });
    await expect(settle(fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() }))).rejects.toMatchObject({ code: 'ALL_FAILED' });
    const [call] = callSpans();
    expect(call!.status.code).toBe(2);
    expect(call!.attributes[ATTR.errorType]).toBe('ALL_FAILED');
    const recorded = JSON.stringify(telemetry.spans().map((span) => [span.attributes, span.events, span.status]));
    expect(recorded).not.toMatch(/hunter2|10\.0\.0\.1|db down/);
  });

  it('ends the call span when the caller aborts, with attempts still running ended as cancelled', async () => {
    const hooks = hooksOf();
    const { worker } = scripted<string>({ '*': hang });
    const fanout = createFanout({ router: staticRouter([cloud]), on: hooks.fanout });
    const abort = new AbortController();
    const running = fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess(), signal: abort.signal });
    running.catch(() => {});
    await vi.advanceTimersByTimeAsync(10);
    abort.abort();
    await expect(running).rejects.toMatchObject({ code: 'ABORTED' });
    expect(callSpans()[0]!.attributes[ATTR.errorType]).toBe('ABORTED');
    expect(attemptOf('cloud', 1)!.attributes[ATTR.outcome]).toBe('cancelled');
    // The SDK's span processor exports on a zero-delay timer.
    await vi.advanceTimersByTimeAsync(0);
    expectNothingLeft();
  });

  it('puts the tenant on the call span only when contextAttributes asks for it', async () => {
    const { worker } = scripted<string>({ cloud: ok('a') });
    const plain = createFanout({ router: staticRouter([cloud]), on: hooksOf().fanout });
    await settle(plain.run({ operation: 'plain', data: {}, context: { tenant: 'acme' }, worker, strategy: firstSuccess() }));
    const tagged = createFanout({
      router: staticRouter([cloud]),
      on: hooksOf({ contextAttributes: (ctx: { tenant: string }) => ({ 'app.tenant': ctx.tenant }) }).fanout,
    });
    await settle(tagged.run({ operation: 'tagged', data: {}, context: { tenant: 'acme' }, worker, strategy: firstSuccess() }));
    const byName = (name: string) => callSpans().find((span) => span.name === name)!;
    expect(JSON.stringify(byName('fanout plain').attributes)).not.toContain('acme');
    expect(byName('fanout tagged').attributes['app.tenant']).toBe('acme');
  });
});

describe('otelHooks breakers', () => {
  it('records breaker changes as events, the state on later attempts and skipped instances', async () => {
    const hooks = hooksOf();
    const breakers = createBreakers({ policy: { kind: 'consecutive', threshold: 1 }, maxEjectedPercent: 100, openMs: 1_000, on: hooks.breaker });
    const { worker } = scripted<string>({ cloud: fail(), 'enterprise-acme': ok('b') });
    const fanout = createFanout({ router: staticRouter([cloud, acme]), retry: false, breaker: breakers, on: hooks.fanout });
    await settle(fanout.run({ operation: 'first', data: {}, context: {}, worker, strategy: mergeAll() }), 10);
    await settle(fanout.run({ operation: 'second', data: {}, context: {}, worker, strategy: mergeAll() }), 10);

    const first = callSpans().find((span) => span.name === 'fanout first')!;
    expect(eventsOf(first, EVENTS.breakerChange)).toEqual([
      { [ATTR.instance]: 'cloud', [ATTR.from]: 'closed', [ATTR.to]: 'open', [ATTR.transition]: 'consecutive-failures' },
    ]);
    const second = callSpans().find((span) => span.name === 'fanout second')!;
    expect(eventsOf(second, EVENTS.outcome)).toContainEqual({ [ATTR.instance]: 'cloud', [ATTR.outcome]: 'skipped', [ATTR.reason]: 'circuit-open' });
    const gauge = await telemetry.points(METRICS.breakerState);
    expect(gauge.map((point) => [point.attributes[ATTR.instance], point.value])).toEqual([['cloud', 2]]);

    // Once open long enough, the probe attempt carries the half-open state.
    await vi.advanceTimersByTimeAsync(1_500);
    await settle(fanout.run({ operation: 'third', data: {}, context: {}, worker, strategy: mergeAll() }), 10);
    const probe = attemptSpans().filter((span) => span.attributes[ATTR.instance] === 'cloud').at(-1)!;
    expect(probe.parentSpanContext?.spanId).toBe(callSpans().find((span) => span.name === 'fanout third')!.spanContext().spanId);
    expect(probe.attributes[ATTR.breakerState]).toBe('half-open');
  });
});

describe('otelHooks metrics', () => {
  it('counts calls by result, outcomes by status and attempts by kind, and times attempts', async () => {
    const hooks = hooksOf();
    const { worker } = scripted<string>({ cloud: [fail(), ok('a')], 'enterprise-acme': status(404), 'enterprise-conf': ok('c') });
    const fanout = createFanout({ router: staticRouter(seedInstances), retry: { maxAttempts: 2, baseDelayMs: 10 }, random: () => 0.5, on: hooks.fanout });
    await settle(fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: mergeAll() }));
    await expect(settle(fanout.run({ operation: 'get', data: {}, context: {}, worker: scripted<string>({ '*': status(403) }).worker, strategy: firstSuccess() }))).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });

    const calls = await telemetry.points(METRICS.calls);
    expect(calls.map((p) => [p.attributes[ATTR.result], p.attributes[ATTR.errorType], p.value])).toEqual(
      expect.arrayContaining([['ok', undefined, 1], ['error', 'FORBIDDEN', 1]]),
    );
    const outcomes = await telemetry.points(METRICS.outcomes);
    const count = (instance: string, outcome: string) =>
      outcomes.find((p) => p.attributes[ATTR.instance] === instance && p.attributes[ATTR.outcome] === outcome)?.value;
    expect(count('cloud', 'success')).toBe(1);
    expect(count('enterprise-acme', 'not-found')).toBe(1);
    expect(count('enterprise-acme', 'unauthorized')).toBe(1);
    const attempts = await telemetry.points(METRICS.attempts);
    const retries = attempts.filter((p) => p.attributes[ATTR.kind] === 'retry').reduce((sum, p) => sum + (p.value as number), 0);
    expect(retries).toBe(1);
    const durations = await telemetry.points(METRICS.attemptDuration);
    const cloudDurations = durations.filter((p) => p.attributes[ATTR.instance] === 'cloud');
    expect(cloudDurations.reduce((sum, p) => sum + (p.value as Histogram).count, 0)).toBe(3);
  });

  it('puts context attributes on metrics only when listed, and caps distinct values', async () => {
    const hooks = hooksOf({
      contextAttributes: (ctx: { tenant: string; user: string }) => ({ 'app.tenant': ctx.tenant, 'app.user': ctx.user }),
      metricContextAttributes: ['app.tenant'],
      maxAttributeValues: 2,
    });
    const { worker } = scripted<string>({ cloud: ok('a') });
    const fanout = createFanout({ router: staticRouter([cloud]), on: hooks.fanout });
    for (const tenant of ['t1', 't2', 't3', 't4']) {
      await settle(fanout.run({ operation: 'get', data: {}, context: { tenant, user: `u-${tenant}` }, worker, strategy: firstSuccess() }));
    }
    const calls = await telemetry.points(METRICS.calls);
    expect(calls.map((p) => [p.attributes['app.tenant'], p.value]).sort()).toEqual([[OVERFLOW_VALUE, 2], ['t1', 1], ['t2', 1]]);
    expect(calls.every((p) => !('app.user' in p.attributes))).toBe(true);
  });
});

describe('otelHooks', () => {
  it('composes with other hooks and still records', async () => {
    const hooks = hooksOf();
    const finished: string[] = [];
    const { worker } = scripted<string>({ cloud: ok('a') });
    const fanout = createFanout({ router: staticRouter([cloud, conf]), on: composeHooks(hooks.fanout, { finish: (s) => finished.push(s.operation) }) });
    await settle(fanout.run({ operation: 'get', data: {}, context: {}, worker, strategy: firstSuccess() }));
    expect(finished).toEqual(['get']);
    expect(callSpans()).toHaveLength(1);
  });

  it('rejects options it cannot use, naming the field', () => {
    expect(() => otelHooks({ maxAttributeValues: 0 })).toThrow('Expected `otelHooks.maxAttributeValues` to be an integer >= 1, got 0');
    expect(() => otelHooks({ tracerProvider: {} as never })).toThrow(/otelHooks.tracerProvider.*TracerProvider/);
  });
});
