import { describe, expect, it } from 'vitest';
import { createProxy, httpWorker } from '../../src/http/index.js';

function configError(make: () => unknown): { code?: string; message: string } {
  try {
    make();
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected INVALID_CONFIG');
}

describe('createProxy options', () => {
  it('refuses a target with a query string and names the field', () => {
    const error = configError(() => createProxy({ target: 'http://a.internal/base?key=1' }));
    expect([error.code, error.message]).toEqual([
      'INVALID_CONFIG',
      'Expected `createProxy.target` to be an absolute http(s) URL without credentials, query or fragment, got "http://a.internal/base?key=1"',
    ]);
  });

  it('refuses a malformed trustProxy entry', () => {
    expect(configError(() => createProxy({ target: 'http://a.internal', trustProxy: ['10.0.0.0/40'] })).message).toBe(
      'Expected `createProxy.trustProxy` to be a list of IPs/CIDRs or a function, got ["10.0.0.0/40"]',
    );
  });

  it('refuses a non-positive timeout', () => {
    expect(configError(() => createProxy({ target: 'http://a.internal', timeoutMs: 0 })).message).toBe(
      'Expected `createProxy.timeoutMs` to be a number of milliseconds > 0 and at most 2147483647, got 0',
    );
  });

  it('points a top-level onError at the on: { error } hook', () => {
    expect(configError(() => createProxy({ target: 'http://a.internal', onError: () => {} } as never)).message).toBe(
      'Unknown option `createProxy.onError`; did you mean `createProxy.on`?',
    );
  });

  it('refuses an error hook that is not a function', () => {
    expect(configError(() => createProxy({ target: 'http://a.internal', on: { error: 'log' as never } })).code).toBe('INVALID_CONFIG');
  });
});

describe('httpWorker options', () => {
  it('refuses a deadline header name that is not a token', () => {
    expect(configError(() => httpWorker({ path: '/x', deadlineHeader: 'x deadline' })).message).toBe(
      'Expected `httpWorker.deadlineHeader` to be a header name or false, got "x deadline"',
    );
  });

  it('refuses static headers with CRLF when the worker is created, without quoting the value', () => {
    const error = configError(() => httpWorker({ path: '/x', headers: { authorization: 'secret\r\nInjected: yes' } }));
    expect([error.code, error.message.includes('secret')]).toEqual(['INVALID_CONFIG', false]);
  });

  it('refuses a schema that is not a Standard Schema', () => {
    expect(configError(() => httpWorker({ path: '/x', schema: {} as never })).code).toBe('INVALID_CONFIG');
  });
});
