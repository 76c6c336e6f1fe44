import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { systemClock, type Clock } from '../_internal/clock.js';
import { clockSchema, expected, fn, parseOptions, positiveInteger, v } from '../_internal/validate.js';
import type { Instance } from '../router/types.js';
import {
  checkFaultPlan,
  instanceDraws,
  latencySchema,
  malformedJson,
  pickFault,
  type Draw,
  type FakeFault,
  type FakeFaultPlan,
  type FakeLatency,
  type FakeRequestInfo,
} from './faults.js';

/** A request an HTTP fake received, and what it did with it. */
export interface FakeHttpRequest extends FakeRequestInfo {
  method: string;
  /** Path and query, as sent. */
  path: string;
  /** Header names in lower case; repeated headers joined with `, `. */
  headers: Readonly<Record<string, string>>;
  /** The request body as UTF-8 text (empty for none). */
  body: string;
  /** `clock.now()` when the request had fully arrived. */
  receivedAt: number;
  /** The latency drawn for it, in ms. */
  latencyMs: number;
  /** The fault it got, or undefined for a normal answer. */
  fault: FakeFault | undefined;
  /**
   * `pending` until it ends: `answered` (the whole answer was sent), `reset` (the instance reset
   * the connection), `aborted` (the client went away first) or `closed` (`close()` ended it).
   */
  outcome: 'pending' | 'answered' | 'reset' | 'aborted' | 'closed';
}

/** What a fake HTTP instance answers by default (a 200 with this as JSON). */
export interface FakeHttpResult {
  instanceId: string;
  method: string;
  path: string;
  latencyMs: number;
}

/** One fake HTTP instance of a fleet. */
export interface FakeHttpInstanceSpec {
  id: string;
  /** @default the fleet's `latency` */
  latency?: FakeLatency;
  /** @default the fleet's `fault` */
  fault?: FakeFaultPlan<FakeHttpRequest>;
  /** @default the fleet's `respond` */
  respond?: (request: FakeHttpRequest) => unknown;
  /** Copied onto the `Instance`. */
  region?: string;
  weight?: number;
  tags?: readonly string[];
  meta?: Readonly<Record<string, unknown>>;
}

export interface FakeHttpFleetOptions {
  /** How many instances (ids `fake-0` … `fake-{n-1}`), or each one's id and settings. */
  instances: number | readonly FakeHttpInstanceSpec[];
  /**
   * The same seed gives every instance the same latencies and fault draws, request by request;
   * `fake-i` draws what `fakeInstances` with the same seed draws for `fake-i`.
   */
  seed: number;
  /** @default { baseMs: 0 } */
  latency?: FakeLatency;
  /** How requests fail; change it later with `setFault`. @default none */
  fault?: FakeFaultPlan<FakeHttpRequest>;
  /** The JSON a normal answer carries. @default a `FakeHttpResult` */
  respond?: (request: FakeHttpRequest) => unknown;
  /** Where latency and drip timers come from. @default the system clock */
  clock?: Clock;
}

export interface FakeHttpInstanceOptions extends Omit<FakeHttpFleetOptions, 'instances'>, Partial<Omit<FakeHttpInstanceSpec, 'latency' | 'fault' | 'respond'>> {}

/** A fake instance listening on 127.0.0.1. */
export interface FakeHttpInstance {
  id: string;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** `{ id, url, … }`, for `staticRouter` and `httpWorker`. */
  instance: Instance;
  /** Every request received so far, in arrival order. */
  requests: readonly FakeHttpRequest[];
  /** Replaces the fault plan for the requests that arrive from now on (`undefined`: none). */
  setFault(plan: FakeFaultPlan<FakeHttpRequest> | undefined): void;
  /** Stops listening and closes every connection, hung ones included. */
  close(): Promise<void>;
}

/** Several fake instances, each a server of its own. */
export interface FakeHttpFleet {
  instances: Instance[];
  /** Each instance's server, in the order of `instances`. */
  servers: FakeHttpInstance[];
  /** Every request any instance received, in arrival order. */
  requests: readonly FakeHttpRequest[];
  /** Replaces one instance's fault plan for the requests that arrive from now on. */
  setFault(instanceId: string, plan: FakeFaultPlan<FakeHttpRequest> | undefined): void;
  /** Closes every instance and every connection. */
  close(): Promise<void>;
}

const specShape = {
  id: expected<string>('a non-empty string', (value) => typeof value === 'string' && value.length > 0),
  latency: latencySchema.optional(),
  fault: v.unknown(),
  respond: fn<(request: FakeHttpRequest) => unknown>().optional(),
  region: v.string().optional(),
  weight: expected<number>('a finite number >= 0', (value) => typeof value === 'number' && Number.isFinite(value) && value >= 0).optional(),
  tags: v.array(v.string()).optional(),
  meta: v.looseObject({}).optional(),
};

const sharedShape = {
  seed: expected<number>('an integer', (value) => Number.isInteger(value)),
  latency: latencySchema.optional(),
  fault: v.unknown(),
  respond: fn<(request: FakeHttpRequest) => unknown>().optional(),
  clock: clockSchema.optional(),
};

const fleetSchema = v.object({
  ...sharedShape,
  instances: v.union([positiveInteger, v.array(v.object(specShape)).min(1, { error: 'a non-empty array of instances' })]),
});

const instanceSchema = v.object({ ...specShape, ...sharedShape, id: specShape.id.optional() });

/**
 * Starts fake instances as real HTTP servers on 127.0.0.1 (ephemeral ports), for testing a BFF
 * end to end through `httpWorker` or any HTTP client: seeded latency like `fakeInstances`, and
 * the same faults, happening on the wire — a hung request, a reset connection, a body that
 * drips in, malformed JSON, any status with Retry-After. Node, Bun and Deno only.
 *
 * @example
 * const fleet = await startFakeHttpFleet({ instances: 3, seed: 1, latency: { baseMs: 5 } });
 * fleet.setFault('fake-0', { fault: 'status', status: 503, retryAfterSeconds: 1 });
 * const fanout = createFanout({ router: staticRouter(fleet.instances) });
 * // … run the BFF, then look at fleet.requests
 * await fleet.close();
 */
export async function startFakeHttpFleet(options: FakeHttpFleetOptions): Promise<FakeHttpFleet> {
  parseOptions(fleetSchema, options);
  checkFaultPlan(options.fault, 'fault');
  const specs: FakeHttpInstanceSpec[] =
    typeof options.instances === 'number' ? Array.from({ length: options.instances }, (_, index) => ({ id: `fake-${index}` })) : [...options.instances];
  specs.forEach((spec, index) => checkFaultPlan(spec.fault, `instances.${index}.fault`));
  const ids = new Set<string>();
  for (const spec of specs) {
    if (ids.has(spec.id)) parseOptions(expected('unique ids', () => false), spec.id, 'instances.id');
    ids.add(spec.id);
  }
  const { createServer } = await import('node:http');
  const requests: FakeHttpRequest[] = [];
  const servers: FakeHttpInstance[] = [];
  try {
    for (const [index, spec] of specs.entries()) {
      servers.push(await listen(createServer, { ...options, ...spec, fault: spec.fault ?? options.fault, respond: spec.respond ?? options.respond }, index, requests));
    }
  } catch (error) {
    await Promise.all(servers.map((server) => server.close()));
    throw error;
  }
  const byId = new Map(servers.map((server) => [server.id, server]));
  let closing: Promise<void> | undefined;
  return {
    instances: servers.map((server) => server.instance),
    servers,
    requests,
    setFault(instanceId, plan) {
      const server = byId.get(instanceId);
      if (server === undefined) parseOptions(expected(`one of ${[...byId.keys()].map((id) => `"${id}"`).join(', ')}`, () => false), instanceId, 'instanceId');
      server!.setFault(plan);
    },
    close: () => (closing ??= Promise.all(servers.map((server) => server.close())).then(() => undefined)),
  };
}

/**
 * Starts one fake instance as a real HTTP server on 127.0.0.1 (an ephemeral port). The same as a
 * one-instance {@link startFakeHttpFleet}; its id is `fake-0` unless given.
 *
 * @example
 * const fake = await startFakeHttpInstance({ seed: 1, fault: { fault: 'hang' } });
 * const fanout = createFanout({ router: staticRouter([fake.instance]), timeoutMs: 200 });
 * await fake.close();
 */
export async function startFakeHttpInstance(options: FakeHttpInstanceOptions): Promise<FakeHttpInstance> {
  parseOptions(instanceSchema, options);
  checkFaultPlan(options.fault, 'fault');
  const { createServer } = await import('node:http');
  return listen(createServer, { ...options, id: options.id ?? 'fake-0' }, 0, []);
}

type CreateServer = typeof import('node:http').createServer;
type Settings = Omit<FakeHttpFleetOptions, 'instances'> & FakeHttpInstanceSpec;

async function listen(createServer: CreateServer, settings: Settings, stream: number, shared: FakeHttpRequest[]): Promise<FakeHttpInstance> {
  const clock = settings.clock ?? systemClock;
  const draw = instanceDraws(settings.seed, stream, settings.latency ?? { baseMs: 0 });
  const respond = settings.respond ?? ((request: FakeHttpRequest): FakeHttpResult => ({ instanceId: request.instanceId, method: request.method, path: request.path, latencyMs: request.latencyMs }));
  let plan = settings.fault;
  const requests: FakeHttpRequest[] = [];
  const sockets = new Set<Socket>();
  /** Ends every request still running, for close(): its timers and its record. */
  const running = new Set<() => void>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => serve(req, res, Buffer.concat(chunks).toString('utf8'), draw()));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  function serve(req: IncomingMessage, res: ServerResponse, body: string, { latencyMs, fault: chance }: Draw): void {
    const request: FakeHttpRequest = {
      instanceId: settings.id,
      index: requests.length,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')])),
      body,
      receivedAt: clock.now(),
      latencyMs,
      fault: undefined,
      outcome: 'pending',
    };
    requests.push(request);
    shared.push(request);

    let timer: unknown;
    const wait = (ms: number, then: () => void) => {
      timer = clock.setTimeout(() => {
        timer = undefined;
        then();
      }, ms);
    };
    const end = (outcome: FakeHttpRequest['outcome']) => {
      if (request.outcome !== 'pending') return;
      request.outcome = outcome;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      running.delete(stop);
    };
    const stop = () => {
      end('closed');
      res.destroy();
    };
    running.add(stop);
    res.once('close', () => end(res.writableFinished ? 'answered' : 'aborted'));

    let fault: FakeFault | undefined;
    try {
      fault = pickFault(plan, request, chance);
    } catch (error) {
      return answer(res, 500, { error: `fault plan failed: ${error instanceof Error ? error.message : String(error)}` });
    }
    request.fault = fault;
    const value = () => respond(request);

    switch (fault?.fault) {
      case 'hang':
        return;
      case 'reset':
        return wait(latencyMs, () => {
          end('reset');
          req.socket.resetAndDestroy();
        });
      case 'status': {
        const { status, body: faultBody, retryAfterSeconds } = fault;
        const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
        return wait(latencyMs, () => safely(res, () => faultBody, (result) => answer(res, status, result, headers)));
      }
      case 'malformed':
        return wait(latencyMs, () => safely(res, value, (result) => answer(res, 200, malformedJson(result), { 'content-type': 'application/json' })));
      case 'drip':
        return wait(latencyMs, () =>
          safely(res, value, (result) => {
            const bytes = Buffer.from(JSON.stringify(result) ?? '', 'utf8');
            const chunkBytes = fault.chunkBytes ?? 1;
            const intervalMs = fault.intervalMs ?? 100;
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(bytes.byteLength) });
            res.flushHeaders();
            const next = (offset: number) =>
              wait(intervalMs, () => {
                const chunk = bytes.subarray(offset, offset + chunkBytes);
                if (offset + chunkBytes >= bytes.byteLength) res.end(chunk);
                else {
                  res.write(chunk);
                  next(offset + chunkBytes);
                }
              });
            next(0);
          }),
        );
      case undefined:
        return wait(latencyMs, () => safely(res, value, (result) => answer(res, 200, result)));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  const instance: Instance = {
    id: settings.id,
    url,
    ...(settings.region === undefined ? {} : { region: settings.region }),
    ...(settings.weight === undefined ? {} : { weight: settings.weight }),
    ...(settings.tags === undefined ? {} : { tags: settings.tags }),
    ...(settings.meta === undefined ? {} : { meta: settings.meta }),
  };
  let closing: Promise<void> | undefined;
  return {
    id: settings.id,
    url,
    instance,
    requests,
    setFault(next) {
      checkFaultPlan(next, 'fault');
      plan = next;
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const stop of [...running]) stop();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      })),
  };
}

/** Sends `status` with `body` (JSON unless a string) and closes nothing: keep-alive as usual. */
function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : typeof body === 'string' ? body : (JSON.stringify(body) ?? '');
  const type = body === undefined ? {} : { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json' };
  res.writeHead(status, { ...type, ...headers, 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/**
 * Runs the user's `respond` and sends what it gives; if either throws (a `respond` that fails, a
 * value JSON cannot encode), answers 500 with the reason so the test sees it, never crashing.
 */
function safely(res: ServerResponse, value: () => unknown, then: (result: unknown) => void): void {
  try {
    then(value());
  } catch (error) {
    const reason = `respond failed: ${error instanceof Error ? error.message : String(error)}`;
    if (res.headersSent) res.destroy();
    else answer(res, 500, { error: reason });
  }
}
