import { isSwitchyardError, type SwitchyardErrorCode } from '../errors/SwitchyardError.js';
import type { Responses } from './types.js';

/** Codes that mean "the code or its configuration is wrong", not "an instance is down". */
const MISTAKES: ReadonlySet<SwitchyardErrorCode> = new Set(['INVALID_INPUT', 'INVALID_CONFIG', 'ROUTER_FAILED', 'PRINCIPAL_FAILED']);

/**
 * The error a failed call should reject with. When a strategy folds failures into an outage
 * (`ALL_FAILED`, `REQUIRED_INSTANCE_FAILED`) and one of them was a mistake — a worker refusing a
 * path that does not start with `/`, an instance without a URL — the mistake is what the caller
 * must see and fix, so it replaces the outage.
 */
export function mistakeBehind(error: unknown, responses: Responses<unknown>): unknown {
  if (!isSwitchyardError(error) || MISTAKES.has(error.code)) return error;
  for (const failure of responses.errors) {
    if (isSwitchyardError(failure.error) && MISTAKES.has(failure.error.code)) return failure.error;
  }
  return error;
}
