import { createTRPCClient, httpLink, TRPCClientError, type TRPCClient } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { startBff, type BffRouter } from '../../examples/trpc/bff.js';
import { startTrpcInstance } from '../../examples/trpc/instance.js';
import { byName, useExample } from './_support.js';

const world = useExample((backends) => startBff(backends), startTrpcInstance);

const clientFor = (user?: string): TRPCClient<BffRouter> =>
  createTRPCClient<BffRouter>({ links: [httpLink({ url: world.url, headers: user === undefined ? {} : { 'x-user': user } })] });

async function codeOf(call: Promise<unknown>): Promise<{ code: unknown; message: string }> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  const failure = error as TRPCClientError<BffRouter>;
  return { code: failure.data?.code, message: failure.message };
}

describe('the tRPC example', () => {
  it('merges the groups of every tRPC instance the user belongs to', async () => {
    expect(byName(await clientFor('ada').groups.search.query({ q: 'eng' }))).toEqual(['ACME Engineering', 'Engineering']);
  });

  it('passes each instance its own JWT and policy hint through the link', async () => {
    // grace's hint on enterprise-acme is not one of her policies there: that instance says FORBIDDEN,
    // the others accept their tokens, and mergeAll leaves the forbidden one out.
    expect(byName(await clientFor('grace').groups.search.query({ q: '' }))).toEqual(['Conference Staff', 'Engineering', 'Operations']);
  });

  it('answers one group from the instance that has it', async () => {
    expect(await clientFor('ada').groups.byId.query({ id: 'g-acme-eng' })).toEqual({ id: 'g-acme-eng', name: 'ACME Engineering', instance: 'enterprise-acme' });
  });

  it('maps NOT_FOUND from every instance to a NOT_FOUND for the client', async () => {
    expect((await codeOf(clientFor('ada').groups.byId.query({ id: 'g-none' }))).code).toBe('NOT_FOUND');
  });

  it('maps FORBIDDEN from every instance to a FORBIDDEN for the client, without upstream text', async () => {
    const { code, message } = await codeOf(clientFor('mallory').groups.byId.query({ id: 'g-eng' }));
    expect(code).toBe('FORBIDDEN');
    expect(message).not.toMatch(/127\.0\.0\.1|secret|Bearer/);
  });

  it('refuses a caller without a user', async () => {
    expect((await codeOf(clientFor().groups.search.query({ q: '' }))).code).toBe('UNAUTHORIZED');
  });
});
