import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import { fetchTransport } from '../../../src/http/index.js';
import { undiciTransport } from '../../../src/http/undici.js';
import { expectNoLeaks, recorder, snapshotResources } from '../_servers.js';
import { transportCases } from './transport.cases.js';

transportCases('undici', () => undiciTransport());
transportCases('fetch', () => fetchTransport());

describe('undiciTransport options', () => {
  it('refuses a pool size or pipelining that is not a positive integer, naming the option', () => {
    expect(() => undiciTransport({ connections: 0 })).toThrow('Expected `undiciTransport.connections` to be');
    expect(() => undiciTransport({ pipelining: 1.5 })).toThrow('Expected `undiciTransport.pipelining` to be');
  });

  it('sends through a dispatcher of your own and leaves it open on close()', async () => {
    const before = snapshotResources();
    const upstream = await recorder();
    const dispatcher = new Agent({ connections: 1 });
    const transport = undiciTransport({ dispatcher });
    const response = await transport.request({
      url: new URL(`${upstream.origin}/own`),
      method: 'GET',
      headers: {},
      body: null,
      signal: new AbortController().signal,
    });
    response.cancel();
    await transport.close();
    expect(dispatcher.closed).toBe(false);
    await dispatcher.close();
    await upstream.close();
    expect(upstream.requests.map((r) => r.url)).toEqual(['/own']);
    await expectNoLeaks(before);
  });
});
