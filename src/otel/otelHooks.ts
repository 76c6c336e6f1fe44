import {
  context as contextApi,
  metrics as metricsApi,
  SpanKind,
  SpanStatusCode,
  trace as traceApi,
  ValueType,
  type Attributes,
  type Context,
  type MeterProvider,
  type Span,
  type TracerProvider,
} from '@opentelemetry/api';
import { expected, fn, parseOptions, positiveInteger, v } from '../_internal/validate.js';
import type { BreakerHooks, BreakerState, Breakers } from '../breaker/types.js';
import { isSwitchyardError } from '../errors/SwitchyardError.js';
import type { AttemptEndState, AttemptState, FanoutHooks, FinishState, StartState } from '../execute/hooks.js';
import type { Worker } from '../execute/types.js';
import { ATTR, EVENTS, METRICS } from './attributes.js';
import { createCardinalityGuard } from './cardinality.js';

/** A value OpenTelemetry accepts as an attribute, for `contextAttributes`. */
export type AttributeValue = string | number | boolean;

/** Options of `otelHooks`: where telemetry goes and what it may record about callers. */
export interface OtelHooksOptions<Ctx = unknown> {
  /** Where spans go. @default the globally registered provider (`trace.getTracerProvider()`) */
  tracerProvider?: TracerProvider;
  /** Where metrics go. @default the globally registered provider (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider;
  /**
   * Attributes read from each call's context, such as a tenant or principal, put on the call's
   * span. None by default: who a call acts for is yours to decide to record.
   * @default none
   */
  contextAttributes?: (context: Ctx) => Readonly<Record<string, AttributeValue | undefined>> | undefined;
  /**
   * Which of `contextAttributes` also go on metrics. Each distinct value is a new time series,
   * so list only keys with few values (a tenant, rarely a user id); the cardinality guard caps them.
   * @default []
   */
  metricContextAttributes?: readonly string[];
  /**
   * The most distinct values any one metric attribute (operation, instance id, each context
   * attribute) records; later new values are recorded as `_other`.
   * @default 100
   */
  maxAttributeValues?: number;
  /**
   * The breaker registry the fanout uses, to put each attempt's live breaker state on its span.
   * Without it the state comes from the breaker changes seen through `hooks.breaker`.
   */
  breakers?: Breakers;
}

/** The hooks `otelHooks` returns: pass `fanout` as `on`, and `breaker` as the breakers' `on`. */
export interface OtelHooks {
  /** Fanout hooks recording spans and metrics; pass as `createFanout({ on })`, or compose with yours. */
  fanout: FanoutHooks;
  /** Breaker hooks recording state changes as span events and the breaker state gauge. */
  breaker: BreakerHooks;
  /**
   * Wraps a worker so that it runs inside its attempt's span: spans the worker's transport opens
   * (undici's or fetch's HTTP CLIENT spans) become children of the attempt.
   */
  traceWorker<T, Data, Ctx>(worker: Worker<T, Data, Ctx>): Worker<T, Data, Ctx>;
}

const DEFAULT_MAX_VALUES = 100;
const BREAKER_LEVEL: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

const schema = v.object({
    tracerProvider: expected<TracerProvider>('a TracerProvider ({ getTracer })', (v) => typeof (v as { getTracer?: unknown } | null)?.getTracer === 'function').optional(),
    meterProvider: expected<MeterProvider>('a MeterProvider ({ getMeter })', (v) => typeof (v as { getMeter?: unknown } | null)?.getMeter === 'function').optional(),
    contextAttributes: fn<(context: unknown) => unknown>().optional(),
    metricContextAttributes: v.array(v.string()).optional(),
    maxAttributeValues: positiveInteger.optional(),
    breakers: expected<Breakers>('a Breakers registry ({ admit, state, report })', (v) => typeof (v as { state?: unknown } | null)?.state === 'function').optional(),
});

interface CallTrace {
  span: Span;
  context: Context;
  /** The call's metric attributes: operation plus the requested context attributes, guarded. */
  metricAttributes: Attributes;
  /** Open attempt spans by `instanceId/attempt`. */
  attempts: Map<string, Span>;
  instances: Set<string>;
}

/**
 * `error.type` per the conventions: an upstream's HTTP status, else the error's code (a
 * SwitchyardError's included), else its name; never its message.
 */
function errorType(error: unknown): string {
  const status = (error as { status?: unknown; statusCode?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode;
  // An upstream status error (code UPSTREAM_STATUS) is told apart by its status: 503 is not 404.
  if (isSwitchyardError(error)) return typeof status === 'number' ? String(status) : error.code;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code !== '') return code;
  if (typeof status === 'number') return String(status);
  return error instanceof Error ? error.name : '_OTHER';
}

const attemptKey = (instanceId: string, attempt: number) => `${instanceId}/${attempt}`;

/**
 * OpenTelemetry spans and metrics for fan-outs: one span per call, a child span per attempt,
 * events for retries, hedges and breaker changes, and metrics for calls, outcomes, attempts and
 * breaker state.
 *
 * OpenTelemetry's HTTP conventions describe one CLIENT span per physical request and leave
 * fan-out, hedging and breakers undefined. switchyard records the logical layer above them as
 * INTERNAL spans, so undici's or fetch's own CLIENT spans are not doubled; wrap the worker with
 * `traceWorker` to nest them under their attempt. Tenants and principals are recorded only when
 * `contextAttributes` says so, and every metric attribute passes a cardinality guard.
 *
 * @example
 * const telemetry = otelHooks({ contextAttributes: (ctx: { tenant: string }) => ({ 'app.tenant': ctx.tenant }) });
 * const fanout = createFanout({ router, on: telemetry.fanout, breaker: { on: telemetry.breaker } });
 */
export function otelHooks<Ctx = unknown>(options: OtelHooksOptions<Ctx> = {}): OtelHooks {
  parseOptions(schema, options, 'otelHooks');
  const tracer = (options.tracerProvider ?? traceApi.getTracerProvider()).getTracer('switchyard');
  const meter = (options.meterProvider ?? metricsApi.getMeterProvider()).getMeter('switchyard');
  const guard = createCardinalityGuard(options.maxAttributeValues ?? DEFAULT_MAX_VALUES);
  const metricContextKeys = new Set(options.metricContextAttributes ?? []);
  const readContext = options.contextAttributes as ((context: unknown) => Readonly<Record<string, AttributeValue | undefined>> | undefined) | undefined;

  const calls = new Map<number, CallTrace>();
  /** Breaker states seen through `breaker.stateChange`, by breaker key (guarded instance ids). */
  const breakerStates = new Map<string, { state: BreakerState; attributes: Attributes }>();
  /** The attempt span started last: `traceWorker` runs the worker inside it (same tick). */
  let starting: { span: Span; context: Context; target: string; attempt: number } | undefined;

  const callCounter = meter.createCounter(METRICS.calls, { description: 'Fan-out calls, by result' });
  const callDuration = meter.createHistogram(METRICS.callDuration, { description: 'Duration of fan-out calls', unit: 's', valueType: ValueType.DOUBLE });
  const outcomeCounter = meter.createCounter(METRICS.outcomes, { description: 'Per-instance outcomes of fan-out calls, by status' });
  const attemptCounter = meter.createCounter(METRICS.attempts, {
    description: 'Attempts on instances, by kind: first, retry or hedge (retries and hedges are the extra load)',
  });
  const attemptDuration = meter.createHistogram(METRICS.attemptDuration, { description: 'Duration of attempts on instances', unit: 's', valueType: ValueType.DOUBLE });
  meter
    .createObservableGauge(METRICS.breakerState, { description: 'Breaker state per instance: 0 closed, 1 half-open, 2 open' })
    .addCallback((result) => {
      for (const { state, attributes } of breakerStates.values()) result.observe(BREAKER_LEVEL[state], attributes);
    });

  const guarded = (key: string, value: AttributeValue) => guard.value(key, value);

  const breakerStateOf = (instanceId: string, operation: string): BreakerState | undefined => {
    if (options.breakers !== undefined) {
      try {
        return options.breakers.state(instanceId, operation);
      } catch {
        return undefined;
      }
    }
    return breakerStates.get(`${instanceId}\u0000${operation}`)?.state ?? breakerStates.get(instanceId)?.state;
  };

  const start = (state: StartState) => {
    const attributes: Attributes = { [ATTR.operation]: state.operation };
    const metricAttributes: Attributes = { [ATTR.operation]: guarded(ATTR.operation, state.operation) };
    if (readContext !== undefined) {
      let extra: Readonly<Record<string, AttributeValue | undefined>> | undefined;
      try {
        extra = readContext(state.context);
      } catch {
        extra = undefined;
      }
      for (const [key, value] of Object.entries(extra ?? {})) {
        if (value === undefined) continue;
        attributes[key] = value;
        if (metricContextKeys.has(key)) metricAttributes[key] = guarded(key, value);
      }
    }
    const parent = contextApi.active();
    const span = tracer.startSpan(`fanout ${state.operation}`, { kind: SpanKind.INTERNAL, attributes }, parent);
    calls.set(state.callId, { span, context: traceApi.setSpan(parent, span), metricAttributes, attempts: new Map(), instances: new Set() });
  };

  const attempt = (state: AttemptState) => {
    const call = calls.get(state.callId);
    if (call === undefined) return;
    call.instances.add(state.instance.id);
    const attributes: Attributes = {
      [ATTR.operation]: state.operation,
      [ATTR.instance]: state.instance.id,
      [ATTR.target]: state.target.id,
      [ATTR.attempt]: state.attempt,
      [ATTR.hedge]: state.hedge,
    };
    const breaker = breakerStateOf(state.instance.id, state.operation);
    if (breaker !== undefined) attributes[ATTR.breakerState] = breaker;
    const span = tracer.startSpan(`fanout.attempt ${state.operation}`, { kind: SpanKind.INTERNAL, attributes }, call.context);
    call.attempts.set(attemptKey(state.instance.id, state.attempt), span);
    starting = { span, context: traceApi.setSpan(call.context, span), target: state.target.id, attempt: state.attempt };
    if (state.hedge) {
      call.span.addEvent(EVENTS.hedge, { [ATTR.instance]: state.instance.id, [ATTR.target]: state.target.id, [ATTR.attempt]: state.attempt });
    }
    const kind = state.hedge ? 'hedge' : state.attempt > 1 ? 'retry' : 'first';
    attemptCounter.add(1, { ...call.metricAttributes, [ATTR.instance]: guarded(ATTR.instance, state.instance.id), [ATTR.kind]: kind });
  };

  const attemptEnd = (state: AttemptEndState) => {
    if (starting?.span !== undefined && starting.target === state.target.id && starting.attempt === state.attempt) starting = undefined;
    const call = calls.get(state.callId);
    if (call === undefined) return;
    const key = attemptKey(state.instance.id, state.attempt);
    const span = call.attempts.get(key);
    call.attempts.delete(key);
    if (span !== undefined) {
      span.setAttribute(ATTR.outcome, state.result);
      if (state.result === 'error' || state.result === 'timeout') {
        const type = state.result === 'timeout' ? 'timeout' : errorType(state.error);
        span.setAttribute(ATTR.errorType, type);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    }
    attemptDuration.record(state.durationMs / 1000, {
      ...call.metricAttributes,
      [ATTR.instance]: guarded(ATTR.instance, state.instance.id),
      [ATTR.outcome]: state.result,
      [ATTR.hedge]: state.hedge,
    });
  };

  const finish = (state: FinishState) => {
    const call = calls.get(state.callId);
    if (call === undefined) return;
    calls.delete(state.callId);
    for (const span of call.attempts.values()) {
      span.setAttribute(ATTR.outcome, 'cancelled');
      span.end();
    }
    const { span } = call;
    span.setAttribute(ATTR.finishedBy, state.report.finishedBy);
    span.setAttribute(ATTR.instances, state.report.instances.length);
    span.setAttribute(ATTR.successes, state.responses.successes.length);
    const failed = 'error' in state && state.error !== undefined;
    const result = failed ? 'error' : 'ok';
    const counted: Attributes = { ...call.metricAttributes, [ATTR.result]: result };
    if (failed) {
      const type = errorType(state.error);
      span.setAttribute(ATTR.errorType, type);
      span.setStatus({ code: SpanStatusCode.ERROR });
      counted[ATTR.errorType] = type;
    }
    span.end();
    callCounter.add(1, counted);
    callDuration.record(state.report.durationMs / 1000, counted);
  };

  const fanout: FanoutHooks = {
    start,
    attempt,
    attemptEnd,
    finish,
    retry(state) {
      calls.get(state.callId)?.span.addEvent(EVENTS.retry, {
        [ATTR.instance]: state.instance.id,
        [ATTR.attempt]: state.attempt,
        [ATTR.delayMs]: state.delayMs,
        [ATTR.errorType]: errorType(state.error),
      });
    },
    outcome(state) {
      const call = calls.get(state.callId);
      if (call === undefined) return;
      const { outcome } = state;
      const attributes: Attributes = { [ATTR.instance]: outcome.instance.id, [ATTR.outcome]: outcome.status };
      if (outcome.status === 'error' || outcome.status === 'skipped') attributes[ATTR.reason] = outcome.reason;
      call.span.addEvent(EVENTS.outcome, attributes);
      outcomeCounter.add(1, {
        ...call.metricAttributes,
        [ATTR.instance]: guarded(ATTR.instance, outcome.instance.id),
        [ATTR.outcome]: outcome.status,
        ...(attributes[ATTR.reason] === undefined ? {} : { [ATTR.reason]: attributes[ATTR.reason] }),
      });
    },
    budgetExhausted(state) {
      calls.get(state.callId)?.span.addEvent(EVENTS.budgetExhausted, { [ATTR.instance]: state.instance.id, [ATTR.kind]: state.kind });
    },
  };

  const breaker: BreakerHooks = {
    stateChange(change) {
      const attributes: Attributes = { [ATTR.instance]: guarded(ATTR.instance, change.instanceId) };
      if (change.operation !== undefined) attributes[ATTR.operation] = guarded(ATTR.operation, change.operation);
      // Keys past the guard share one `_other` series instead of growing the map without bound.
      const key = change.operation === undefined ? String(attributes[ATTR.instance]) : `${String(attributes[ATTR.instance])}\u0000${String(attributes[ATTR.operation])}`;
      breakerStates.set(key, { state: change.to, attributes });
      const event: Attributes = { [ATTR.instance]: change.instanceId, [ATTR.from]: change.from, [ATTR.to]: change.to, [ATTR.transition]: change.reason };
      // The change belongs to the calls that are talking to this instance right now.
      for (const call of calls.values()) if (call.instances.has(change.instanceId)) call.span.addEvent(EVENTS.breakerChange, event);
    },
  };

  return {
    fanout,
    breaker,
    traceWorker(worker) {
      return (instance, call) => {
        const current = starting;
        starting = undefined;
        if (current === undefined || current.target !== instance.id || current.attempt !== call.attempt) return worker(instance, call);
        return contextApi.with(current.context, () => worker(instance, call));
      };
    },
  };
}
