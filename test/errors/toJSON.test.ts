import { describe, expect, it } from 'vitest';
import { fanOutTo, firstSuccess, SwitchyardError } from '../../src/index.js';

const failing = async () => {
  throw new Error('db down: password=hunter2 at http://10.0.0.1/x');
};

describe('toJSON', () => {
  it('gives a client the code and a generic message, without instance ids or upstream text', async () => {
    const error = await fanOutTo([{ id: 'cloud' }, { id: 'enterprise-acme' }], failing, { strategy: firstSuccess(), retry: false }).catch((e: SwitchyardError) => e);
    expect(error.message).toContain('enterprise-acme');
    expect(error.toJSON()).toEqual({ name: 'SwitchyardError', code: 'ALL_FAILED', message: 'No instance could answer the request' });
    expect(JSON.stringify(error)).not.toMatch(/enterprise-acme|hunter2|10\.0\.0\.1/);
  });

  it('serialises through JSON.stringify to the same safe body, also when nested', () => {
    const error = new SwitchyardError('NOT_FOUND', 'Group 42 not found on enterprise-acme', { instances: ['enterprise-acme'] });
    expect(JSON.parse(JSON.stringify({ error }))).toEqual({ error: { name: 'SwitchyardError', code: 'NOT_FOUND', message: 'The resource was not found' } });
  });

  it('adds the instance ids only when the app opts in', () => {
    const error = new SwitchyardError('ALL_FAILED', 'x', { instances: ['cloud', 'enterprise-acme'] });
    expect(error.toJSON({ exposeInstances: true })).toMatchObject({ code: 'ALL_FAILED', instances: ['cloud', 'enterprise-acme'] });
    expect(error.toJSON({ exposeInstances: false })).not.toHaveProperty('instances');
  });

  it('has a generic message for every code that never repeats the error message', () => {
    const codes = ['ALL_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'REQUIRED_INSTANCE_FAILED', 'DEADLINE_EXCEEDED', 'ABORTED', 'NO_INSTANCES', 'INVALID_CONFIG', 'INVALID_INPUT', 'UPSTREAM_ERROR', 'ROUTER_FAILED', 'PRINCIPAL_FAILED', 'NO_SHARD_KEY', 'UNKNOWN_TENANT', 'AFFINITY_LOST', 'TENANT_UNAVAILABLE'] as const;
    for (const code of codes) {
      const body = new SwitchyardError(code, 'secret detail').toJSON();
      expect(body.message.length).toBeGreaterThan(0);
      expect(body.message).not.toContain('secret detail');
    }
  });
});
