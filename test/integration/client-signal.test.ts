import http, { type ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientSignal } from '../../src/node/index.js';
import { createFanout, mergeAll, staticRouter, type Instance } from '../../src/index.js';
import { listen, type Running } from '../http/_servers.js';
import { leftoverResources } from '../_support/resources.js';

let resourcesBefore: string[];
let server: Running | undefined;

beforeEach(() => {
  resourcesBefore = process.getActiveResourcesInfo();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(leftoverResources(resourcesBefore)).toEqual([]);
});

/** Sends a GET and resolves with the client request once the server has it, for the test to end. */
function request(origin: string): Promise<{ client: http.ClientRequest; response: Promise<string> }> {
  return new Promise((resolve) => {
    const client = http.get(`${origin}/`, { agent: false });
    const response = new Promise<string>((done, fail) => {
      client.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => done(body));
      });
      client.on('error', fail);
    });
    response.catch(() => {});
    client.on('socket', () => resolve({ client, response }));
  });
}

function listenerCounts(res: ServerResponse): number[] {
  return [res.listenerCount('close'), res.listenerCount('finish')];
}

describe('clientSignal', () => {
  it('aborts when the client disconnects before the response is finished, which stops a running fan-out', async () => {
    let arrived: () => void = () => {};
    const handlerSawRequest = new Promise<void>((resolve) => (arrived = resolve));
    const workerSignals: AbortSignal[] = [];
    const instances: Instance[] = [{ id: 'slow-a' }, { id: 'slow-b' }];
    const fanout = createFanout({ router: staticRouter(instances), timeoutMs: 60_000, deadlineMs: 60_000 });
    let outcome: Promise<unknown> = Promise.resolve();
    let signal: AbortSignal | undefined;
    server = await listen((_req, res) => {
      signal = clientSignal(res);
      outcome = fanout
        .run({
          operation: 'search',
          data: {},
          context: {},
          signal,
          strategy: mergeAll(),
          worker: (_instance, call) =>
            new Promise<never>((_resolve, reject) => {
              workerSignals.push(call.signal);
              call.signal.addEventListener('abort', () => reject(call.signal.reason), { once: true });
            }),
        })
        .then(
          () => 'answered',
          (error: { code?: string }) => error.code,
        );
      arrived();
    });
    const { client } = await request(server.origin);
    await handlerSawRequest;
    expect(signal?.aborted).toBe(false);
    client.destroy();
    expect(await outcome).toBe('ABORTED');
    expect(signal?.aborted).toBe(true);
    expect((signal?.reason as DOMException).name).toBe('AbortError');
    expect(workerSignals.every((s) => s.aborted)).toBe(true);
  });

  it('does not abort and leaves no listener once the response has ended', async () => {
    let before: number[] = [];
    let after: Promise<number[]> = Promise.resolve([]);
    let signal: AbortSignal | undefined;
    server = await listen((_req, res) => {
      before = listenerCounts(res);
      signal = clientSignal(res);
      after = new Promise((resolve) => res.on('finish', () => setImmediate(() => resolve(listenerCounts(res)))));
      res.end('done');
    });
    const { response } = await request(server.origin);
    expect(await response).toBe('done');
    // The finish listener above is the test's own; everything clientSignal added is gone.
    expect(await after).toEqual([before[0], before[1]! + 1]);
    expect(signal?.aborted).toBe(false);
  });

  it('is aborted at once for a response whose client has already gone', async () => {
    let signal: AbortSignal | undefined;
    let seen: () => void = () => {};
    let closed: () => void = () => {};
    const requestSeen = new Promise<void>((resolve) => (seen = resolve));
    const handled = new Promise<void>((resolve) => (closed = resolve));
    server = await listen((_req, res) => {
      res.on('close', () => {
        signal = clientSignal(res);
        closed();
      });
      seen();
    });
    const { client } = await request(server.origin);
    await requestSeen;
    client.destroy();
    await handled;
    expect(signal?.aborted).toBe(true);
  });
});
