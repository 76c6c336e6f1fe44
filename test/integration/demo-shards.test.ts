/**
 * The demo's shard chapter, played in-process on both ways of sharing the policy: a real Redis and
 * the file store that a machine without redis-server uses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leftoverResources } from '../_support/resources.js';
import { playShards } from '../../examples/demo/shards.js';

describe.each([
  { name: 'redis', redis: true, sharedThrough: 'a real Redis (redis-server on redis://127.0.0.1:' },
  { name: 'file', redis: false, sharedThrough: 'a policy file (' },
])('the shard chapter through $name', ({ redis, sharedThrough }) => {
  let output = '';
  let before: string[] = [];
  beforeAll(async () => {
    before = process.getActiveResourcesInfo();
    const lines: string[] = [];
    await playShards((line = '') => lines.push(line), { redis });
    output = lines.join('\n');
  }, 60_000);
  afterAll(async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(leftoverResources(before)).toEqual([]);
  });

  it('says how the replicas share the policy', () => {
    expect(output).toContain(`share their routing policy through ${sharedThrough}`);
  });

  it('routes tenants by map, vip_ keys by prefix and the rest by hash, the same on both replicas', () => {
    expect(output).toMatch(/tenant acme\s+tenant map\s+shard-a\s+shard-a/);
    expect(output).toMatch(/tenant globex\s+tenant map\s+shard-b\s+shard-b/);
    expect(output).toMatch(/key vip_7\s+prefix vip_\s+shard-c\s+shard-c/);
    const hashed = output.split('\n').filter((line) => /^key order_\d+\s+hash \(jump\)/.test(line));
    expect(hashed).toHaveLength(7);
    for (const line of hashed) {
      const [, , one, two] = line.split(/\s{2,}/);
      expect(one).toBe(two);
    }
  });

  it('previews about a third of hashed keys moving, all to the joining shard', () => {
    const match = /(\d+) of 10000 sampled keys would move \((\d+\.\d)%\); check: no tenant or prefix stranded/.exec(output);
    expect(match).not.toBeNull();
    expect(Number(match![2])).toBeGreaterThan(30);
    expect(Number(match![2])).toBeLessThan(37);
    expect(output).toMatch(/shard-a\s+shard-c\s+\d+/);
    expect(output).toMatch(/shard-b\s+shard-c\s+\d+/);
  });

  it('shows both replicas on the new version in the fleet view', () => {
    expect(output).toMatch(/bff-1\s+2\s+\d+/);
    expect(output).toMatch(/bff-2\s+2\s+\d+/);
  });

  it('rolls back to identical routing and records the rollback', () => {
    expect(output).toContain('rolled back to version 1: every sampled call routes as before: yes');
    expect(output).toMatch(/3\s+1\s+rollback\s+roll back: shard-c is not warmed up/);
  });
});
