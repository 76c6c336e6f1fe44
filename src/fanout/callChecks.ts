import { unknownOption } from '../_internal/validate.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import { executionSchema } from '../execute/options.js';

const executionKeys = Object.keys(executionSchema.shape);
const knownKeys = {
  call: [...executionKeys, 'operation', 'data', 'context', 'worker', 'strategy', 'signal', 'dedup'],
  operation: [...executionKeys, 'name', 'worker', 'strategy', 'dedup'],
} as const;
const knownSets = { call: new Set<string>(knownKeys.call), operation: new Set<string>(knownKeys.operation) };

/**
 * Rejects a key that a call (`run`, `collect`, `runDetailed`) or an operation definition does not
 * know, with the closest known one: in JavaScript `{ timeout: 2000 }` would otherwise be ignored.
 * A loop over the input's own keys: cheap enough for every call.
 */
export function checkCallKeys(input: object, kind: keyof typeof knownKeys): void {
  for (const key in input) {
    if (Object.hasOwn(input, key) && !knownSets[kind].has(key)) throw unknownOption(key, knownKeys[kind]);
  }
}

/**
 * Rejects settings whose attempt timeout can never fire: the deadline bounds the whole call, so an
 * explicit `timeoutMs` above an explicit `deadlineMs` is a mistake in one of them. (A deadline
 * below the default timeout is fine: the attempt then simply ends at the deadline.)
 */
export function checkDeadline(config: { timeoutMs?: number | undefined; deadlineMs?: number | undefined }): void {
  if (config.timeoutMs !== undefined && config.deadlineMs !== undefined && config.deadlineMs < config.timeoutMs) {
    throw new SwitchyardError(
      'INVALID_CONFIG',
      `Expected \`deadlineMs\` (${config.deadlineMs}) to be >= \`timeoutMs\` (${config.timeoutMs}): the deadline bounds the whole call, so raise \`deadlineMs\` or lower \`timeoutMs\``,
    );
  }
}

function invalid(field: string, expected: string, got: unknown): SwitchyardError {
  return new SwitchyardError('INVALID_CONFIG', `Expected \`${field}\` to be ${expected}, got ${got === undefined ? 'undefined' : typeof got}`);
}

/** Per-call checks, by hand: this runs on every call, where a schema parse would cost more than the fan-out. */
export function validateCall(input: { operation?: unknown; worker?: unknown; strategy?: unknown; signal?: unknown }, needsStrategy: boolean): void {
  if (typeof input !== 'object' || input === null) throw invalid('input', 'an object', input);
  checkCallKeys(input, 'call');
  if (typeof input.operation !== 'string' || input.operation.length === 0) throw invalid('operation', 'a non-empty string', input.operation);
  if (typeof input.worker !== 'function') throw invalid('worker', 'a function', input.worker);
  if (needsStrategy) {
    const strategy = input.strategy as { combine?: unknown; settle?: unknown } | undefined;
    if (typeof strategy !== 'object' || strategy === null) throw invalid('strategy', 'a Strategy object', strategy);
    if (typeof strategy.combine !== 'function') throw invalid('strategy.combine', 'a function', strategy.combine);
    if (strategy.settle !== undefined && typeof strategy.settle !== 'function') throw invalid('strategy.settle', 'a function', strategy.settle);
  }
  if (input.signal !== undefined && !(input.signal instanceof AbortSignal)) throw invalid('signal', 'an AbortSignal', input.signal);
}
