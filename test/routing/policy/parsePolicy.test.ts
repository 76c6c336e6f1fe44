import { expect, test } from 'vitest';
import { isSwitchyardError } from '../../../src/errors/SwitchyardError.js';
import { parsePolicy } from '../../../src/routing/index.js';

const valid = `version: 1
shards:
  shard_0:
    instances:
      - url: https://db0.internal
  shard_1:
    weight: 2
    instances:
      - url: https://db1a.internal
        region: eu
      - id: shard_1b
        url: https://db1b.internal
tenants:
  tenant_a: shard_0
  tenant_b: shard_1
ranges:
  - prefix: user_
    shard: shard_0
  - prefix: order_
    shard: shard_1
hash:
  algorithm: rendezvous
default: shard_0
`;

async function messageOf(text: string | object, env: Record<string, string> = {}): Promise<string> {
  try {
    await parsePolicy(text, { env });
  } catch (error) {
    expect(isSwitchyardError(error) && error.code).toBe('INVALID_CONFIG');
    return (error as Error).message;
  }
  throw new Error('expected parsePolicy to reject');
}

test('reads the seed’s YAML shape: shards with instances, tenants, ranges, hash and a default', async () => {
  const policy = await parsePolicy(valid, { env: {} });
  expect(Object.keys(policy.shards)).toEqual(['shard_0', 'shard_1']);
  expect(policy.shards['shard_1']!.weight).toBe(2);
  expect(policy.shards['shard_1']!.instances.map((i) => i.id)).toEqual(['shard_1#1', 'shard_1b']);
  expect(policy.shards['shard_0']!.instances[0]).toEqual({ id: 'shard_0', url: 'https://db0.internal', meta: { shard: 'shard_0' } });
  expect(policy.tenants).toEqual({ tenant_a: 'shard_0', tenant_b: 'shard_1' });
  expect(policy.ranges).toEqual([{ prefix: 'user_', shard: 'shard_0' }, { prefix: 'order_', shard: 'shard_1' }]);
  expect(policy.hash).toEqual({ algorithm: 'rendezvous', shards: ['shard_0', 'shard_1'] });
  expect(policy.default).toBe('shard_0');
});

test('reads the same policy from JSON text and from an object', async () => {
  const document = { version: 1, shards: { s: { instances: [{ url: 'http://s.internal:8080' }] } } };
  const fromJson = await parsePolicy(JSON.stringify(document), { env: {} });
  const fromObject = await parsePolicy(document, { env: {} });
  expect(fromJson.shards).toEqual(fromObject.shards);
  expect(fromJson.hash).toEqual({ algorithm: 'jump', shards: ['s'] });
});

test('substitutes ${VAR}, ${VAR:-default} and $$ in string values after parsing', async () => {
  const policy = await parsePolicy(
    `version: 1
shards:
  s0: { instances: [{ url: "https://\${DB0_HOST}/x", region: "\${REGION:-eu}" }] }
  s1: { instances: [{ url: "https://db1.internal", tags: ["cost$$"] }] }
`,
    { env: { DB0_HOST: 'db0.prod.internal' } },
  );
  expect(policy.shards['s0']!.instances[0]!.url).toBe('https://db0.prod.internal/x');
  expect(policy.shards['s0']!.instances[0]!.region).toBe('eu');
  expect(policy.shards['s1']!.instances[0]!.tags).toEqual(['cost$']);
  expect(policy.fromEnv).toEqual({ 'shards.s0.instances[0].url': '${DB0_HOST}', 'shards.s0.instances[0].region': '${REGION:-eu}' });
  expect(JSON.stringify(policy.source)).toContain('${DB0_HOST}');
});

test('a variable cannot add structure: YAML in a value stays one string', async () => {
  const injected = 'x\nshards:\n  evil: { instances: [{ url: "http://evil" }] }';
  const policy = await parsePolicy(
    `version: 1
shards:
  s0: { instances: [{ url: "https://db0.internal", region: "\${REGION}" }] }
`,
    { env: { REGION: injected } },
  );
  expect(Object.keys(policy.shards)).toEqual(['s0']);
  expect(policy.shards['s0']!.instances[0]!.region).toBe(injected);
});

test('an unset variable names itself with its line and column', async () => {
  const message = await messageOf(`version: 1
shards:
  s0:
    instances:
      - url: "\${DB_HOST}"
`);
  expect(message).toContain('${DB_HOST}: not set (line 5, column 14)');
});

test('${VAR:?message} fails with the message when the variable is unset', async () => {
  const message = await messageOf({ version: 1, shards: { s0: { instances: [{ url: '${DB_URL:?set DB_URL to the shard URL}' }] } } });
  expect(message).toContain('${DB_URL}: set DB_URL to the shard URL');
});

test('a tenant mapped to a missing shard is named', async () => {
  expect(await messageOf(valid.replace('tenant_a: shard_0', 'tenant_a: shard_9'))).toContain('tenants.tenant_a: unknown shard "shard_9"');
});

test('a duplicated prefix names both ranges', async () => {
  expect(await messageOf(valid.replace('prefix: order_', 'prefix: user_'))).toContain('ranges[1]: prefix "user_" duplicates ranges[0]');
});

test('a relative or non-http URL names the instance’s path', async () => {
  const message = await messageOf(
    `version: 1
shards:
  shard_0: { instances: [{ url: "https://db0" }] }
  shard_2:
    instances:
      - url: db2.internal:5432
`,
  );
  expect(message).toContain('shards.shard_2.instances[0].url: expected an absolute http(s) URL (line 6, column 14)');
});

test('a value from a variable is never shown in an error', async () => {
  const message = await messageOf(
    { version: 1, shards: { s0: { instances: [{ url: '${DB_URL}' }] } } },
    { DB_URL: 'postgres://app:hunter2@db0' },
  );
  expect(message).toContain('shards.s0.instances[0].url: expected an absolute http(s) URL (value from ${DB_URL}, not shown)');
  expect(message).not.toContain('hunter2');
});

test('unknown keys are refused, at any depth', async () => {
  const message = await messageOf({
    version: 1,
    shard: {},
    shards: { s0: { instances: [{ url: 'https://db0', timeout: 5 }], replicas: 2 } },
  });
  expect(message).toContain('shard: unknown key');
  expect(message).toContain('shards.s0.instances[0].timeout: unknown key');
  expect(message).toContain('shards.s0.replicas: unknown key');
});

test('hash shards, the default and ranges must name shards of the policy', async () => {
  const message = await messageOf({
    version: 1,
    shards: { s0: { instances: [{ url: 'https://db0' }] } },
    ranges: [{ prefix: 'a', shard: 's7' }],
    hash: { shards: ['s0', 's0', 's3'] },
    default: 's5',
  });
  expect(message).toContain('ranges[0].shard: unknown shard "s7"');
  expect(message).toContain('hash.shards[1]: shard "s0" is listed twice');
  expect(message).toContain('hash.shards[2]: unknown shard "s3"');
  expect(message).toContain('default: unknown shard "s5"');
});

test('a missing version, a wrong version and repeated instance ids are refused', async () => {
  expect(await messageOf({ shards: { s0: { instances: [{ url: 'https://db0' }] } } })).toContain('version: ');
  expect(await messageOf({ version: 2, shards: { s0: { instances: [{ url: 'https://db0' }] } } })).toContain(
    'version: expected 1 (the policy format version)',
  );
  expect(
    await messageOf({
      version: 1,
      shards: { s0: { instances: [{ id: 'x', url: 'https://a' }] }, s1: { instances: [{ id: 'x', url: 'https://b' }] } },
    }),
  ).toContain('shards.s1.instances[0].id: instance id "x" is also used by shards.s0.instances[0]');
});

test('invalid YAML and JSON say so with a position', async () => {
  expect(await messageOf('version: 1\nshards: [\n')).toMatch(/not valid YAML \(line \d+, column \d+\)/);
  expect(await messageOf('{ "version": 1, ')).toContain('not valid JSON');
  expect(await messageOf('version: 1\nversion: 1\n')).toContain('not valid YAML');
});
