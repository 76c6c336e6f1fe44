import { isSwitchyardError, isUpstreamFailure, SwitchyardError } from '../errors/SwitchyardError.js';

/**
 * The principal of one call, from the fanout's `principal` function. A function that throws or
 * answers something other than a string or `undefined` fails the call with `PRINCIPAL_FAILED`
 * (the original on `cause`): guessing would risk sharing one user's result with another, so the
 * call is neither shared nor run.
 */
export function resolvePrincipal<Ctx>(principal: ((context: Ctx) => string | undefined) | undefined, context: Ctx, operation: string): string | undefined {
  if (principal === undefined) return undefined;
  let value: unknown;
  try {
    value = principal(context);
  } catch (error) {
    if (isSwitchyardError(error) && !isUpstreamFailure(error)) throw error;
    throw new SwitchyardError('PRINCIPAL_FAILED', `The principal function failed for "${operation}"`, { cause: error });
  }
  if (value === undefined || typeof value === 'string') return value;
  throw new SwitchyardError(
    'PRINCIPAL_FAILED',
    `Expected \`principal(context)\` to return a string or undefined for "${operation}", got ${value === null ? 'null' : typeof value}`,
  );
}
