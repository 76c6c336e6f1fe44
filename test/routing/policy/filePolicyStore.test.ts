import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createPolicyStore, type PolicyBackend } from '../../../src/routing/index.js';
import { filePolicyBackend } from '../../../src/node/index.js';
import { policyStoreCases, v1 } from './policyStore.cases.js';

let dir = '';
let counter = 0;
const paths = new WeakMap<PolicyBackend, string>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-policy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

policyStoreCases('file', {
  async create() {
    const path = join(dir, `policy-${++counter}.json`);
    const backend = filePolicyBackend({ path });
    paths.set(backend, path);
    return backend;
  },
  async reopen(backend) {
    const path = paths.get(backend)!;
    const reopened = filePolicyBackend({ path });
    paths.set(reopened, path);
    return reopened;
  },
});

test('file: writes by rename, leaving no temporary or lock file and a readable JSON document', async () => {
  const path = join(dir, 'atomic.json');
  const store = createPolicyStore({ store: filePolicyBackend({ path }), env: {}, syncIntervalMs: false });
  await store.activate((await store.propose(v1, { message: 'first' })).version);
  await store.close();
  const files = (await readdir(dir)).filter((f) => f.startsWith('atomic.json'));
  expect(files.sort()).toEqual(['atomic.json', 'atomic.json.replicas.json']);
  const state = JSON.parse(await readFile(path, 'utf8')) as { revision: number; versions: { message: string }[] };
  expect(state.revision).toBe(2);
  expect(state.versions[0]!.message).toBe('first');
});

test('file: a corrupt file is an error naming no content, and the applied policy keeps serving', async () => {
  const path = join(dir, 'corrupt.json');
  const errors: unknown[] = [];
  const store = createPolicyStore({ store: filePolicyBackend({ path }), env: {}, syncIntervalMs: false, on: { syncError: ({ error }) => errors.push(error) } });
  await store.activate((await store.propose(v1)).version);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, '{ "revision": 3, "versions": [');
  await store.sync();
  expect(store.active()!.version).toBe(1);
  expect(String((errors[0] as Error).message)).toBe('The policy file could not be read (invalid JSON)');
  await store.close();
});
