import { describe, expect, it } from 'vitest';
import { SwitchyardError, httpStatusOf, type SwitchyardErrorCode } from '../../src/index.js';

describe('httpStatusOf', () => {
  it.each<[SwitchyardErrorCode, number]>([
    ['INVALID_INPUT', 400],
    ['NO_SHARD_KEY', 400],
    ['FORBIDDEN', 403],
    ['NOT_FOUND', 404],
    ['UNKNOWN_TENANT', 404],
    ['AFFINITY_LOST', 409],
    ['ABORTED', 499],
    ['INVALID_CONFIG', 500],
    ['ROUTER_FAILED', 500],
    ['PRINCIPAL_FAILED', 500],
    ['ALL_FAILED', 502],
    ['UPSTREAM_ERROR', 502],
    ['UPSTREAM_STATUS', 502],
    ['UPSTREAM_RESPONSE', 502],
    ['UPSTREAM_NETWORK', 502],
    ['REQUIRED_INSTANCE_FAILED', 502],
    ['NO_INSTANCES', 503],
    ['TENANT_UNAVAILABLE', 503],
    ['DEADLINE_EXCEEDED', 504],
  ])('maps %s to %i', (code, status) => {
    expect(httpStatusOf(new SwitchyardError(code, 'x'))).toBe(status);
  });

  it('answers 500 for an error that is not a SwitchyardError', () => {
    expect(httpStatusOf(new TypeError('boom'))).toBe(500);
    expect(httpStatusOf('a string')).toBe(500);
  });

  it('recognises a SwitchyardError from another realm by its shape', () => {
    expect(httpStatusOf({ name: 'SwitchyardError', code: 'NOT_FOUND', message: 'x' })).toBe(404);
  });
});
