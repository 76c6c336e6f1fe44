import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leftoverResources } from '../_support/resources.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The demo's scenarios depend on the ratios of its durations (an 80 ms instance beats the 300 ms
 * timeout, a 600 ms one does not), so running them five times slower keeps every outcome while
 * giving a loaded machine 1.5 s, not 300 ms, to answer an attempt that must succeed.
 */
const TIME_SCALE = '5';
const demoEnv = { ...process.env, NO_COLOR: '1', SWITCHYARD_DEMO_TIME_SCALE: TIME_SCALE };

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runDemo(args: string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'examples/demo/main.ts', ...args], { cwd: root, env: demoEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The output of one scenario: from its `== N.` header to the next header. */
function section(output: string, number: string): string {
  const start = output.indexOf(`== ${number}. `);
  if (start === -1) throw new Error(`no scenario ${number} in the output`);
  const next = output.indexOf('\n== ', start + 1);
  return output.slice(start, next === -1 ? undefined : next);
}

/** The instance's row in the scenario's table ("cloud   success  200 …"). */
const row = (text: string, instance: string) =>
  text.split('\n').find((line) => new RegExp(`^${instance}\\s{2,}[a-z]`).test(line)) ?? '';
/** The instance's row in the scenario's waterfall ("cloud   |###   | success, 1 attempt"). */
const bar = (text: string, instance: string) =>
  text.split('\n').find((line) => new RegExp(`^${instance}\\s*\\|`).test(line)) ?? '';

describe('npm run demo', () => {
  let run: Run;
  beforeAll(async () => {
    run = await runDemo();
  }, 120_000);

  it('exits with code 0 after closing every instance', () => {
    expect(run.stderr.replace(/npm warn.*\n?/g, '')).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('all instances closed; done.');
  });

  it('merges the search results of all three instances', () => {
    const text = section(run.stdout, '1');
    expect(text).toContain('result: 4 groups merged from 3 instances');
    expect(text).toContain('engineering (cloud-eng) @ cloud');
    expect(text).toContain('platform engineering (acme-platform) @ enterprise-acme');
    expect(text).toContain('engineering track (conf-eng) @ enterprise-conf');
  });

  it('classifies a 403 as unauthorized and a 404 as not-found and still returns the first success', () => {
    const text = section(run.stdout, '2');
    expect(row(text, 'cloud')).toMatch(/not-found\s+404\s+1/);
    expect(row(text, 'enterprise-conf')).toMatch(/unauthorized\s+403\s+1/);
    expect(text).toContain('result: platform engineering (acme-platform) @ enterprise-acme');
    expect(text).toContain('finished by: early-finish');
  });

  it('answers NOT_FOUND when the group is hidden by 403s and missing elsewhere', () => {
    const text = section(run.stdout, '2b');
    expect(text).toContain('error: NOT_FOUND');
  });

  it('returns a partial dashboard with warnings naming the down and the timed-out instance', () => {
    const text = section(run.stdout, '3');
    // The scale reached the demo: its 300 ms timeout and 600 ms instance both ran five times slower.
    expect(text).toContain('enterprise-acme takes 3000 ms, its timeout is 1500 ms.');
    expect(row(text, 'enterprise-conf')).toMatch(/error \(failed\)\s+\S+, refused\s+2/);
    expect(row(text, 'enterprise-acme')).toMatch(/error \(timeout\)\s+timeout, timeout\s+2/);
    expect(text).toContain('warnings: enterprise-acme unavailable (timeout); enterprise-conf unavailable (failed)');
    expect(text).toContain('unavailableInstances: enterprise-acme, enterprise-conf');
    expect(text).toContain('- cloud: 3 groups');
  });

  it('fails with REQUIRED_INSTANCE_FAILED and cancels the others when cloud fails', () => {
    const text = section(run.stdout, '4');
    expect(text).toContain('error: REQUIRED_INSTANCE_FAILED');
    expect(row(text, 'cloud')).toMatch(/error \(failed\)\s+503, 503\s+2/);
    expect(row(text, 'enterprise-acme')).toContain('skipped (cancelled)');
    expect(text.match(/GET \/profile -> client aborted/g)).toHaveLength(2);
  });

  it('never shows a client the upstream error body', () => {
    expect(run.stdout).not.toContain('10.0.3.7');
    expect(run.stdout).not.toContain('db pool exhausted');
  });

  it('rejects with ABORTED when the caller aborts, and every instance sees its request aborted', () => {
    const text = section(run.stdout, '5');
    expect(text).toMatch(/rejected with ABORTED after \d+ ms/);
    expect(text).toContain('instances that saw their request aborted: 3 of 3');
    expect(text.match(/client aborted/g)).toHaveLength(3);
  });

  it('serves tenants from their own databases, follows a move at once, and uses the default node only for an unmapped tenant', () => {
    const text = section(run.stdout, '7');
    const rows = (tenant: string) => text.split('\n').filter((line) => new RegExp(`^${tenant}\\s{2,}`).test(line));
    expect(rows('A')[0]).toMatch(/^A\s+node-a\s+node_a\s+no\s+200$/);
    expect(rows('B')[0]).toMatch(/^B\s+node-b\s+node_b\s+no\s+200$/);
    expect(rows('B')[1]).toMatch(/^B\s+node-c\s+node_c\s+no\s+200$/);
    expect(text).toMatch(/heard of the change [\d.]+ ms after the UPDATE/);
    expect(rows('Z')).toEqual([expect.stringMatching(/404 UNKNOWN_TENANT$/), expect.stringMatching(/^Z\s+default\s+default\s+yes \(flagged\)\s+200$/)]);
    expect(rows('A')[1]).toMatch(/503 TENANT_UNAVAILABLE$/);
    expect(text).toContain('on.fallback calls: Z → default');
    expect(text).not.toContain('demo-password');
  });

  it('draws a waterfall row per instance with retries and timeouts marked', () => {
    const text = section(run.stdout, '3');
    expect(bar(text, 'enterprise-acme')).toMatch(/\|t+\.*t+ *\| error \(timeout\), 2 attempts/);
  });
});

describe('npm run demo -- --serve', () => {
  let child: ReturnType<typeof spawn> | undefined;
  afterAll(() => {
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves the BFF over HTTP until it is interrupted', async () => {
    const before = process.getActiveResourcesInfo();
    const started = spawn(process.execPath, ['--import', 'tsx', 'examples/demo/main.ts', '--serve'], {
      cwd: root,
      env: demoEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    let stdout = '';
    const url = await new Promise<string>((resolve, reject) => {
      started.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match !== null) resolve(match[1]!);
      });
      started.on('error', reject);
      started.on('exit', () => reject(new Error(`exited early: ${stdout}`)));
    });

    const search = await fetch(`${url}/search?q=eng`);
    const groups = (await search.json()) as { id: string }[];
    const hidden = await fetch(`${url}/groups/conf-board`);
    const error = (await hidden.json()) as { code: string };

    // 'close' comes after 'exit' once the child's stdio pipes are closed too.
    const exited = new Promise<number | null>((resolve) => started.on('close', (code) => resolve(code)));
    started.kill('SIGINT');
    expect(search.status).toBe(200);
    expect(groups.map((g) => g.id).sort()).toEqual(['acme-eng', 'acme-platform', 'cloud-eng', 'conf-eng']);
    expect(hidden.status).toBe(404);
    expect(error.code).toBe('NOT_FOUND');
    expect(await exited).toBe(0);
    // The child's process and pipe handles are released asynchronously after 'close': give them a
    // bounded moment, then require that nothing of the child is left.
    // Compared as "nothing new", since the previous test's child may still be tearing down.
    const left = () => leftoverResources(before).filter((r) => r !== 'Timeout');
    for (let i = 0; i < 50 && left().length > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(left()).toEqual([]);
  }, 60_000);
});
