import type { TransportResponse } from './types.js';

/** Reads at most `limit` bytes; `undefined` when the body is longer (the rest is released). */
export async function readCapped(response: TransportResponse, limit: number): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > limit) {
      // Leaving the loop ends the iteration, which releases the rest of the body.
      return undefined;
    }
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** The first `bytes` of a body for server logs; never throws, always releases the body. */
export async function snippet(response: TransportResponse, bytes: number): Promise<string | undefined> {
  try {
    for await (const chunk of response.body) {
      return new TextDecoder().decode(chunk.subarray(0, bytes));
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    response.cancel();
  }
}
