/**
 * The attribute, event and metric names switchyard records, in one place so dashboards and
 * tests can refer to them. OpenTelemetry's semantic conventions define no names for fan-outs,
 * hedges or breakers, so they live under `switchyard.`; `error.type` is the convention's own.
 */
export const ATTR = {
  operation: 'switchyard.operation',
  instance: 'switchyard.instance.id',
  target: 'switchyard.target.id',
  attempt: 'switchyard.attempt',
  hedge: 'switchyard.hedge',
  outcome: 'switchyard.outcome',
  reason: 'switchyard.reason',
  breakerState: 'switchyard.breaker.state',
  finishedBy: 'switchyard.finished_by',
  instances: 'switchyard.instances',
  successes: 'switchyard.successes',
  result: 'switchyard.result',
  kind: 'switchyard.attempt.kind',
  delayMs: 'switchyard.retry.delay_ms',
  from: 'switchyard.breaker.from',
  to: 'switchyard.breaker.to',
  transition: 'switchyard.breaker.reason',
  errorType: 'error.type',
} as const;

/** Span event names. */
export const EVENTS = {
  retry: 'switchyard.retry',
  hedge: 'switchyard.hedge',
  outcome: 'switchyard.outcome',
  budgetExhausted: 'switchyard.budget_exhausted',
  breakerChange: 'switchyard.breaker.state_change',
} as const;

/** Metric instrument names. */
export const METRICS = {
  calls: 'switchyard.fanout.calls',
  callDuration: 'switchyard.fanout.duration',
  outcomes: 'switchyard.instance.outcomes',
  attempts: 'switchyard.attempts',
  attemptDuration: 'switchyard.attempt.duration',
  breakerState: 'switchyard.breaker.state',
} as const;
