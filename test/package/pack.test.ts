import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Both module formats, tried by a consumer in a fresh project: a merge and a typed error. */
const ESM = `
import { fanOutTo, mergeAll, firstSuccess, isSwitchyardError } from 'switchyard';
const instances = [{ id: 'cloud' }, { id: 'enterprise-acme' }];
const merged = await fanOutTo(instances, async (instance) => [instance.id + ':a', instance.id + ':b'], { strategy: mergeAll() });
console.log(JSON.stringify(merged.sort()));
const notFound = Object.assign(new Error('no'), { status: 404 });
await fanOutTo(instances, async () => { throw notFound; }, { strategy: firstSuccess() }).catch((e) => console.log(isSwitchyardError(e) ? e.code : 'not a SwitchyardError'));
console.log(import.meta.resolve('switchyard').endsWith('/dist/index.js'));
`;

const CJS = `
const { fanOutTo, mergeAll, firstSuccess, isSwitchyardError } = require('switchyard');
const instances = [{ id: 'cloud' }, { id: 'enterprise-acme' }];
(async () => {
  const merged = await fanOutTo(instances, async (instance) => [instance.id + ':a', instance.id + ':b'], { strategy: mergeAll() });
  console.log(JSON.stringify(merged.sort()));
  const notFound = Object.assign(new Error('no'), { status: 404 });
  await fanOutTo(instances, async () => { throw notFound; }, { strategy: firstSuccess() }).catch((e) => console.log(isSwitchyardError(e) ? e.code : 'not a SwitchyardError'));
  console.log(require.resolve('switchyard').endsWith('/dist/index.cjs'));
})();
`;

/**
 * Loads every subpath of the `exports` map with import and require. A subpath may fail only
 * because an optional peer dependency it needs (ioredis, pg, …) is not installed, and then with
 * a message that names the package to install.
 */
const SUBPATHS = `
const { createRequire } = require('node:module');
const pkg = require('switchyard/package.json');
const peers = Object.keys({ ...pkg.peerDependencies, ...pkg.peerDependenciesMeta });
const subpaths = Object.keys(pkg.exports).filter((key) => key !== './package.json').map((key) => key.replace(/^\\./, 'switchyard'));
const verdict = (error) => {
  const missing = /needs the optional peer dependency "([^"]+)", which is not installed\\. Install it: npm install (\\S+)/.exec(String(error && error.message));
  return missing && missing[1] === missing[2] && peers.includes(missing[1]) ? 'needs ' + missing[1] : 'FAIL ' + (error && (error.code || error.message));
};
(async () => {
  for (const subpath of subpaths) {
    let esm = 'ok';
    let cjs = 'ok';
    await import(subpath).catch((error) => (esm = verdict(error)));
    try { require(subpath); } catch (error) { cjs = verdict(error); }
    console.log(subpath, 'import:', esm, 'require:', cjs);
  }
})();
`;

const EXPECTED = ['["cloud:a","cloud:b","enterprise-acme:a","enterprise-acme:b"]', 'NOT_FOUND', 'true', ''].join('\n');

describe('the packed package', () => {
  let dir: string;
  let packed: { files: { path: string }[] };

  beforeAll(async () => {
    if (!existsSync(join(root, 'dist/index.js')) || !existsSync(join(root, 'dist/index.cjs'))) {
      await run('npx', ['tsup'], { cwd: root });
    }
    dir = await mkdtemp(join(tmpdir(), 'switchyard-pack-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root });
    packed = (JSON.parse(stdout) as { filename: string; files: { path: string }[] }[])[0]!;
    const tarball = join(dir, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
    const project = join(dir, 'consumer');
    await run('mkdir', ['-p', project]);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: project });
    await writeFile(join(project, 'esm.mjs'), ESM);
    await writeFile(join(project, 'cjs.cjs'), CJS);
    await writeFile(join(project, 'subpaths.cjs'), SUBPATHS);
  }, 120_000);

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('works with import from an ES module', async () => {
    const { stdout } = await run(process.execPath, ['esm.mjs'], { cwd: join(dir, 'consumer') });
    expect(stdout).toBe(EXPECTED);
  });

  it('works with require from a CommonJS module', async () => {
    const { stdout } = await run(process.execPath, ['cjs.cjs'], { cwd: join(dir, 'consumer') });
    expect(stdout).toBe(EXPECTED);
  });

  it('exposes switchyard/package.json', async () => {
    const { stdout } = await run(
      process.execPath,
      ['-e', "const p = require(require.resolve('switchyard/package.json')); console.log(p.name, p.type)"],
      { cwd: join(dir, 'consumer') },
    );
    const own = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { name: string; type: string };
    expect(stdout.trim()).toBe(`${own.name} ${own.type}`);
  });

  it('loads every subpath of the exports map with import and require', async () => {
    const { stdout } = await run(process.execPath, ['subpaths.cjs'], { cwd: join(dir, 'consumer') });
    expect(stdout).toContain('switchyard import: ok require: ok');
    expect(stdout).not.toContain('FAIL');
  });

  it('names the package to install when redisStore({ url }) runs without ioredis, with import and require', async () => {
    const script = (load: string) =>
      `${load}.then(({ redisStore }) => { try { redisStore({ url: 'redis://127.0.0.1:1' }); console.log('created'); } catch (e) { console.log(e.code, e.message); } })`;
    const project = join(dir, 'consumer');
    const esm = await run(process.execPath, ['--input-type=module', '-e', script("import('switchyard/redis')")], { cwd: project });
    const cjs = await run(process.execPath, ['-e', script("Promise.resolve(require('switchyard/redis'))")], { cwd: project });
    for (const { stdout } of [esm, cjs]) {
      expect(stdout).toContain('INVALID_CONFIG Expected the `ioredis` package to be installed');
      expect(stdout).toContain('run `npm install ioredis`');
    }
  });

  it('says which package to install when a subpath’s optional peer is missing', async () => {
    const { stdout } = await run(process.execPath, ['subpaths.cjs'], { cwd: join(dir, 'consumer') });
    expect(stdout).toContain('switchyard/routing import: needs rou3 require: needs rou3');
    expect(stdout).toContain('switchyard/otel import: needs @opentelemetry/api require: needs @opentelemetry/api');
    // The core and the entries without peers load without any of them.
    expect(stdout).toContain('switchyard/testing import: ok require: ok');
  });

  it('keeps every optional peer out of the core entry, in both formats', async () => {
    const peers = ['@opentelemetry/api', 'ioredis', 'pg', 'rou3', 'yaml'];
    const dist = join(dir, 'consumer/node_modules/switchyard/dist');
    for (const entry of ['index.js', 'index.cjs']) {
      // The entry and every chunk it imports, transitively.
      const seen = new Set<string>();
      const visit = async (file: string): Promise<void> => {
        if (seen.has(file)) return;
        seen.add(file);
        const text = await readFile(join(dist, file), 'utf8');
        for (const peer of peers) expect(text, `${file} mentions ${peer}`).not.toContain(`'${peer}'`);
        for (const match of text.matchAll(/(?:from |require\()['"]\.\/([^'"]+)['"]/g)) await visit(match[1]!);
      };
      await visit(entry);
      expect(seen.size).toBeGreaterThan(0);
    }
  });

  it('loads switchyard/otel and switchyard/routing in both formats once their peers are installed', async () => {
    const project = join(dir, 'consumer');
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-save', '@opentelemetry/api@1', 'rou3@1'], { cwd: project });
    const { stdout } = await run(process.execPath, ['subpaths.cjs'], { cwd: project });
    expect(stdout).toContain('switchyard/otel import: ok require: ok');
    expect(stdout).toContain('switchyard/routing import: ok require: ok');
    const { stdout: esm } = await run(
      process.execPath,
      ['--input-type=module', '-e', "const { otelHooks } = await import('switchyard/otel'); console.log(Object.keys(otelHooks().fanout).join(','))"],
      { cwd: project },
    );
    expect(esm.trim()).toBe('start,attempt,attemptEnd,finish,retry,outcome,budgetExhausted');
  }, 120_000);

  it('resolves switchyard/http to the undici build on Node and to the fetch build on Bun and Deno', async () => {
    const resolve = async (conditions: string[]) => {
      const { stdout } = await run(
        process.execPath,
        [...conditions, '--input-type=module', '-e', "console.log(import.meta.resolve('switchyard/http'))"],
        { cwd: join(dir, 'consumer') },
      );
      return stdout.trim().replace(/^.*\/dist\//, 'dist/');
    };
    expect(await resolve([])).toBe('dist/http.node.js');
    expect(await resolve(['--conditions=bun'])).toBe('dist/http.js');
    expect(await resolve(['--conditions=deno'])).toBe('dist/http.js');
    const fetchBuild = await readFile(join(dir, 'consumer/node_modules/switchyard/dist/http.js'), 'utf8');
    expect(fetchBuild).not.toMatch(/from ['"]undici['"]/);
  });

  it('ships the ESM and CJS builds with their own type declarations', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']));
  });

  it('ships nothing outside dist and the top-level docs', () => {
    const allowed = /^(dist\/.+|package\.json|README\.md|CHANGELOG\.md|LICENSE)$/;
    expect(packed.files.map((f) => f.path).filter((path) => !allowed.test(path))).toEqual([]);
  });
});
