import type { TransportResponse } from './types.js';

/** The part of a Node stream this module uses, checked by shape so no `node:` module is imported. */
interface NodeReadable {
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  destroy(): unknown;
}

function isNodeReadable(body: unknown): body is NodeReadable {
  const candidate = body as Partial<NodeReadable> & { pipe?: unknown };
  return typeof candidate.on === 'function' && typeof candidate.destroy === 'function' && typeof candidate.pipe === 'function';
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Reads a Node stream body (undici's) with `data` events: a stream's async iterator costs a
 * promise per chunk and its own end-of-stream watcher, per response.
 */
function readNodeCapped(body: NodeReadable, limit: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    body.on('data', (chunk) => {
      size += chunk.byteLength;
      if (size > limit) {
        body.destroy();
        resolve(undefined);
      } else {
        chunks.push(chunk);
      }
    });
    body.on('end', () => resolve(concat(chunks, size)));
    // After a destroy() for being too large the promise has settled; a late error changes nothing.
    body.on('error', reject);
  });
}

/** Reads at most `limit` bytes; `undefined` when the body is longer (the rest is released). */
export async function readCapped(response: TransportResponse, limit: number): Promise<Uint8Array | undefined> {
  if (isNodeReadable(response.body)) return readNodeCapped(response.body, limit);
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
  return concat(chunks, size);
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
