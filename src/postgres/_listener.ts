import type { Clock } from '../_internal/clock.js';
import { DIRECTORY_CHANNEL } from './migrations.js';
import type { PgClient, PgPool } from './pg.js';

/** One parsed directory notification. */
export interface DirectoryNotification {
  table: string;
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  key: string;
  row: string;
  version: number;
}

interface ListenerOptions {
  pool: PgPool;
  clock: Clock;
  /** First wait before reconnecting; doubles up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  notification(note: DirectoryNotification): void;
  /**
   * Runs after every LISTEN, first and later: notifications sent while disconnected are lost, so
   * this reloads what the cache holds. The listener counts as connected only once it resolves.
   */
  connected(reconnect: boolean): Promise<void>;
  error(error: unknown): void;
}

/** A LISTEN connection that reconnects with backoff and reloads on every (re)connect. */
export interface Listener {
  /** Resolves once the first LISTEN and reload have succeeded. */
  ready(): Promise<void>;
  readonly connected: boolean;
  close(): Promise<void>;
}

function parse(payload: string | undefined): DirectoryNotification | undefined {
  if (payload === undefined) return undefined;
  try {
    const raw = JSON.parse(payload) as { t?: unknown; op?: unknown; k?: unknown; r?: unknown; v?: unknown };
    if (typeof raw.t !== 'string' || typeof raw.k !== 'string' || typeof raw.r !== 'string' || typeof raw.v !== 'number') return undefined;
    if (raw.op !== 'INSERT' && raw.op !== 'UPDATE' && raw.op !== 'DELETE') return undefined;
    return { table: raw.t, op: raw.op, key: raw.k, row: raw.r, version: raw.v };
  } catch {
    return undefined;
  }
}

export function startListener(options: ListenerOptions): Listener {
  let closed = false;
  let client: PgClient | undefined;
  let connected = false;
  let attempts = 0;
  let timer: unknown;
  let everConnected = false;
  let detach = () => {};
  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    resolveReady = resolve;
  });

  const onNotification = (message: { channel?: string; payload?: string }) => {
    if (message.channel !== DIRECTORY_CHANNEL) return;
    const note = parse(message.payload);
    if (note !== undefined) options.notification(note);
  };

  const drop = (current: PgClient, error: unknown) => {
    if (client !== current) return;
    client = undefined;
    connected = false;
    current.removeListener('notification', onNotification);
    try {
      // With an error the pool closes the connection instead of reusing it.
      current.release(error instanceof Error ? error : new Error('listener connection lost'));
    } catch {
      // Already released.
    }
    if (!closed) {
      options.error(error);
      schedule();
    }
  };

  const schedule = () => {
    const delay = Math.min(options.backoffMs * 2 ** Math.min(attempts, 16), options.maxBackoffMs);
    attempts += 1;
    timer = options.clock.setTimeout(() => {
      timer = undefined;
      void connect();
    }, delay);
  };

  const connect = async () => {
    if (closed) return;
    let current: PgClient;
    try {
      current = await options.pool.connect();
    } catch (error) {
      if (closed) return;
      options.error(error);
      schedule();
      return;
    }
    if (closed) {
      current.release();
      return;
    }
    client = current;
    const onError = (error: unknown) => drop(current, error);
    const onEnd = () => drop(current, new Error('listener connection ended'));
    detach = () => {
      current.removeListener('error', onError);
      current.removeListener('end', onEnd);
    };
    current.on('notification', onNotification);
    current.on('error', onError);
    current.on('end', onEnd);
    try {
      await current.query(`LISTEN ${DIRECTORY_CHANNEL}`);
      await options.connected(everConnected);
    } catch (error) {
      drop(current, error);
      return;
    }
    if (client !== current) return;
    connected = true;
    everConnected = true;
    attempts = 0;
    resolveReady();
  };

  void connect();

  return {
    ready: () => ready,
    get connected() {
      return connected;
    },
    async close() {
      closed = true;
      if (timer !== undefined) options.clock.clearTimeout(timer);
      timer = undefined;
      const current = client;
      client = undefined;
      connected = false;
      if (current !== undefined) {
        current.removeListener('notification', onNotification);
        await current.query(`UNLISTEN ${DIRECTORY_CHANNEL}`).catch(() => {});
        detach();
        current.release();
      }
    },
  };
}
