import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultClassify } from '../../src/execute/classify.js';
import { HttpStatusError, UpstreamNetworkError, UpstreamResponseError, isHttpStatusError } from '../../src/http/errors.js';
import { httpStatusOf, isSwitchyardError, SwitchyardError } from '../../src/index.js';
import { FakeInstanceError } from '../../src/testing/index.js';

const instance = { id: 'cloud', url: 'https://cloud.internal' };
const detail = { url: 'https://cloud.internal/secret?token=abc', body: 'stack trace at db.internal:5432' };

const thrown = {
  HttpStatusError: new HttpStatusError(503, { retryAfterMs: 2_000, detail }),
  UpstreamResponseError: new UpstreamResponseError('malformed-json', { cause: new SyntaxError('Unexpected token < in JSON'), detail }),
  UpstreamNetworkError: new UpstreamNetworkError({ cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:443'), { code: 'ECONNREFUSED' }), detail }),
  FakeInstanceError: new FakeInstanceError(500, 'cloud'),
};

describe('every error switchyard throws', () => {
  it.each(Object.entries(thrown))('%s is a SwitchyardError with a documented code and its own name', (name, error) => {
    expect([isSwitchyardError(error), error instanceof SwitchyardError, error.name]).toEqual([true, true, name]);
    expect(['UPSTREAM_STATUS', 'UPSTREAM_RESPONSE', 'UPSTREAM_NETWORK']).toContain(error.code);
    expect(httpStatusOf(error)).toBe(502);
  });

  it.each(Object.entries(thrown))('%s gives a client no upstream text, URL or instance id', (_name, error) => {
    const body = JSON.stringify(error);
    expect(JSON.parse(body)).toEqual({ name: 'SwitchyardError', code: error.code, message: expect.any(String) });
    for (const secret of ['token', 'db.internal', '10.0.0.7', 'Unexpected token', 'cloud']) expect(body).not.toContain(secret);
  });

  it('keeps the fields of the HTTP errors', () => {
    const error = thrown.HttpStatusError;
    expect([error.code, error.status, error.retryAfterMs, error.retryable, error.detail.url]).toEqual([
      'UPSTREAM_STATUS',
      503,
      2_000,
      true,
      detail.url,
    ]);
    expect([thrown.UpstreamResponseError.problem, thrown.UpstreamResponseError.retryable, thrown.UpstreamNetworkError.retryable]).toEqual([
      'malformed-json',
      false,
      true,
    ]);
    expect([isHttpStatusError(error), isHttpStatusError(thrown.UpstreamNetworkError)]).toEqual([true, false]);
  });

  it('are still classified by their status, retryability and cause', () => {
    const classify = (error: unknown) => defaultClassify({ error, instance, timedOut: false });
    expect(classify(new HttpStatusError(403, { detail })).status).toBe('unauthorized');
    expect(classify(new HttpStatusError(404, { detail })).status).toBe('not-found');
    expect(classify(new HttpStatusError(401, { detail }))).toMatchObject({ status: 'error', reason: 'unauthenticated' });
    expect(classify(thrown.HttpStatusError)).toEqual({ status: 'error', retryable: true, retryAfterMs: 2_000 });
    expect(classify(new HttpStatusError(400, { detail }))).toEqual({ status: 'error', retryable: false });
    expect(classify(thrown.UpstreamResponseError)).toEqual({ status: 'error', retryable: false });
    expect(classify(thrown.UpstreamNetworkError)).toEqual({ status: 'error', retryable: true, notSent: true });
    expect(classify(new FakeInstanceError(403, 'cloud')).status).toBe('unauthorized');
  });

  it('recognises a subclass from another copy of the package by its brand, and not a foreign error by its name', () => {
    const fromAnotherCopy = Object.assign(new Error('x'), { name: 'HttpStatusError', code: 'UPSTREAM_STATUS', [Symbol.for('switchyard.error')]: true });
    expect(isSwitchyardError(fromAnotherCopy)).toBe(true);
    // Another library's error of the same name may serialise its URL: it is not ours to answer with.
    expect(isSwitchyardError({ name: 'HttpStatusError', code: 'UPSTREAM_STATUS', status: 503 })).toBe(false);
    expect(isSwitchyardError({ name: 'TypeError', code: 'UPSTREAM_STATUS' })).toBe(false);
  });
});

describe('docs/errors.md', () => {
  const codes = [...readFileSync(new URL('../../src/errors/SwitchyardError.ts', import.meta.url), 'utf8').matchAll(/^ {2}\| '([A-Z_]+)';?$/gm)].map((m) => m[1]!);
  const documented = new Map(
    [...readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8').matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]),
  );

  it('lists every code of the union, each with the status httpStatusOf gives', () => {
    expect(codes.length).toBeGreaterThan(15);
    expect([...documented.keys()].sort()).toEqual([...codes].sort());
    for (const code of codes) expect([code, documented.get(code)]).toEqual([code, httpStatusOf(new SwitchyardError(code as never, 'x'))]);
  });
});
