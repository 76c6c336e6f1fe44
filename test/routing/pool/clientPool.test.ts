import { expect, test, vi } from 'vitest';
import { useFakeTimersFromZero } from '../../_support/fakeTimers.js';
import { isSwitchyardError } from '../../../src/errors/SwitchyardError.js';
import { clientPool } from '../../../src/routing/index.js';

useFakeTimersFromZero();

interface FakeClient {
  readonly key: string;
  readonly serial: number;
  disposed: boolean;
}

/** A create/dispose pair that records every client it made and disposed. */
function lifecycle() {
  const created: FakeClient[] = [];
  const disposed: string[] = [];
  let serial = 0;
  return {
    created,
    disposed,
    create: async (key: string): Promise<FakeClient> => {
      await Promise.resolve();
      const client = { key, serial: ++serial, disposed: false };
      created.push(client);
      return client;
    },
    dispose: (client: FakeClient) => {
      client.disposed = true;
      disposed.push(`${client.key}#${client.serial}`);
    },
  };
}

test('creates a client lazily and reuses it for the same key', async () => {
  const life = lifecycle();
  const pool = clientPool({ create: life.create, dispose: life.dispose });
  expect(pool.keys()).toEqual([]);
  const first = await pool.get('shard-1');
  const again = await pool.get('shard-1');
  expect(again).toBe(first);
  expect(life.created).toHaveLength(1);
  await pool.close();
});

test('shares one create between concurrent gets of the same key', async () => {
  const life = lifecycle();
  const pool = clientPool({ create: life.create });
  const clients = await Promise.all([pool.get('a'), pool.get('a'), pool.get('a')]);
  expect(new Set(clients).size).toBe(1);
  expect(life.created).toHaveLength(1);
  await pool.close();
});

test('uses keyOf as the identity of a key', async () => {
  const life = lifecycle();
  const pool = clientPool<{ id: string; url: string }, FakeClient>({
    create: (node) => life.create(node.url),
    keyOf: (node) => node.id,
  });
  const a = await pool.get({ id: 's1', url: 'http://a' });
  const b = await pool.get({ id: 's1', url: 'http://b' });
  expect(b).toBe(a);
  expect(pool.keys()).toEqual(['s1']);
  await pool.close();
});

test('evict disposes the client now and the next get creates a new one', async () => {
  const life = lifecycle();
  const pool = clientPool({ create: life.create, dispose: life.dispose });
  const old = await pool.get('a');
  await pool.evict('a');
  expect(old.disposed).toBe(true);
  expect(pool.keys()).toEqual([]);
  const fresh = await pool.get('a');
  expect(fresh).not.toBe(old);
  await pool.close();
});

test('retain disposes every client whose key is not listed', async () => {
  const life = lifecycle();
  const pool = clientPool({ create: life.create, dispose: life.dispose });
  await Promise.all(['s1', 's2', 's3'].map((k) => pool.get(k)));
  await pool.retain(['s1', 's3', 's9']);
  expect(life.disposed).toEqual(['s2#2']);
  expect(pool.keys().sort()).toEqual(['s1', 's3']);
  await pool.close();
});

test('disposes the least recently used client beyond max', async () => {
  const life = lifecycle();
  const pool = clientPool({ create: life.create, dispose: life.dispose, max: 2 });
  await pool.get('a');
  await pool.get('b');
  await pool.get('a');
  await pool.get('c');
  await vi.advanceTimersByTimeAsync(0);
  expect(life.disposed).toEqual(['b#2']);
  expect(pool.keys()).toEqual(['a', 'c']);
  await pool.close();
});

test('a failed create rejects every waiter and the next get tries again', async () => {
  let fail = true;
  const pool = clientPool({
    create: async (key: string) => {
      await Promise.resolve();
      if (fail) throw new Error('connect ECONNREFUSED');
      return { key };
    },
  });
  const results = await Promise.allSettled([pool.get('a'), pool.get('a')]);
  expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  const error = (results[0] as PromiseRejectedResult).reason;
  expect(isSwitchyardError(error) && error.code).toBe('UPSTREAM_ERROR');
  expect(pool.keys()).toEqual([]);
  fail = false;
  await expect(pool.get('a')).resolves.toEqual({ key: 'a' });
  await pool.close();
});

test('errors from create never carry the credentials of a URL', async () => {
  const url = 'postgres://app:s3cr3t-pw@db.internal:5432/app?sslpassword=hunter2';
  const pool = clientPool({
    create: (key: string) => {
      throw Object.assign(new Error(`could not connect to ${key} password=s3cr3t-pw`), { code: 'ECONNREFUSED' });
    },
  });
  const error: unknown = await pool.get(url).catch((e: unknown) => e);
  const cause = (error as Error).cause as Error & { code: string };
  const everything = `${(error as Error).message} ${cause.message} ${cause.stack} ${JSON.stringify(error)}`;
  expect(everything).not.toContain('s3cr3t-pw');
  expect(everything).not.toContain('hunter2');
  expect((error as Error).message).toContain('postgres://***@db.internal:5432/app');
  expect(cause.code).toBe('ECONNREFUSED');
  await pool.close();
});

test('without an interval, a reused client is checked and replaced when unhealthy', async () => {
  const life = lifecycle();
  const healthy = new Map<number, boolean>();
  const pool = clientPool({
    create: life.create,
    dispose: life.dispose,
    check: (client) => healthy.get(client.serial) ?? true,
  });
  const first = await pool.get('a');
  expect(await pool.get('a')).toBe(first);
  healthy.set(first.serial, false);
  const second = await pool.get('a');
  expect(second).not.toBe(first);
  expect(first.disposed).toBe(true);
  await pool.close();
});

test('a check that throws counts as unhealthy', async () => {
  const life = lifecycle();
  const pool = clientPool({
    create: life.create,
    dispose: life.dispose,
    check: () => {
      throw new Error('ping failed');
    },
  });
  const first = await pool.get('a');
  const second = await pool.get('a');
  expect(second).not.toBe(first);
  expect(life.disposed).toEqual(['a#1']);
  await pool.close();
});

test('with checkIntervalMs, checks run on the interval and unhealthy clients are disposed', async () => {
  const life = lifecycle();
  const checks: number[] = [];
  let healthy = true;
  const pool = clientPool({
    create: life.create,
    dispose: life.dispose,
    checkIntervalMs: 1_000,
    check: () => {
      checks.push(Date.now());
      return healthy;
    },
  });
  const first = await pool.get('a');
  expect(await pool.get('a')).toBe(first);
  expect(checks).toEqual([]);
  await vi.advanceTimersByTimeAsync(2_000);
  expect(checks).toEqual([1_000, 2_000]);
  healthy = false;
  await vi.advanceTimersByTimeAsync(1_000);
  expect(first.disposed).toBe(true);
  expect(pool.keys()).toEqual([]);
  expect(vi.getTimerCount()).toBe(0);
  const second = await pool.get('a');
  expect(second).not.toBe(first);
  await pool.close();
});

test('close disposes every client, stops the timer, and get rejects afterwards', async () => {
  const life = lifecycle();
  const pool = clientPool({ create: life.create, dispose: life.dispose, check: () => true, checkIntervalMs: 500 });
  await pool.get('a');
  await pool.get('b');
  expect(vi.getTimerCount()).toBe(1);
  await pool.close();
  expect(vi.getTimerCount()).toBe(0);
  expect(life.disposed.sort()).toEqual(['a#1', 'b#2']);
  const error: unknown = await pool.get('a').catch((e: unknown) => e);
  expect(isSwitchyardError(error) && error.code).toBe('UPSTREAM_ERROR');
});

test('a get waiting on a create that close interrupts rejects and the client is disposed', async () => {
  const life = lifecycle();
  const pool = clientPool({ create: life.create, dispose: life.dispose });
  const pending = pool.get('a');
  await pool.close();
  await expect(pending).rejects.toThrow('closed');
  expect(life.disposed).toEqual(['a#1']);
});

test('a client evicted while being created is disposed and the waiting get receives a new one', async () => {
  const life = lifecycle();
  const pool = clientPool({ create: life.create, dispose: life.dispose });
  const pending = pool.get('a');
  await pool.evict('a');
  const client = await pending;
  expect(client.serial).toBe(2);
  expect(life.disposed).toEqual(['a#1']);
  await pool.close();
});

test('a dispose that throws does not fail evict or close', async () => {
  const pool = clientPool({
    create: (key: string) => ({ key }),
    dispose: () => {
      throw new Error('already closed');
    },
  });
  await pool.get('a');
  await pool.get('b');
  await expect(pool.evict('a')).resolves.toBeUndefined();
  await expect(pool.close()).resolves.toBeUndefined();
});

test('rejects bad options with a message naming the field', () => {
  expect(() => clientPool({ create: (k: string) => k, max: 0 })).toThrow('Expected `max` to be an integer >= 1, got 0');
  expect(() => clientPool({} as never)).toThrow('`create`');
  expect(() => clientPool({ create: (k: string) => k, checkIntervalMs: -1 })).toThrow('`checkIntervalMs`');
});
