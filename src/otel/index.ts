/**
 * OpenTelemetry spans and metrics for fanouts.
 *
 * @module switchyard/otel
 */
export { otelHooks, type OtelHooks, type OtelHooksOptions, type AttributeValue } from './otelHooks.js';
export { ATTR, EVENTS, METRICS } from './attributes.js';
export { createCardinalityGuard, OVERFLOW_VALUE, type CardinalityGuard } from './cardinality.js';
