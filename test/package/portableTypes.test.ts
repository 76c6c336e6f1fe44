/**
 * `switchyard` and `switchyard/http` run anywhere, so their published types must compile in a
 * project without `@types/node`: a consumer is type-checked against the built declarations, laid
 * out as npm installs them (package.json + dist/*.d.ts, *.d.cts and nothing else), with
 * `types: []` and `lib: ["ES2022", "DOM"]`, in every way TypeScript can resolve the package.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Uses each portable entry's main exports and types, so their declarations are really read. */
const CONSUMER = `
import { createFanout, firstSuccess, isSwitchyardError, mergeAll, staticRouter, type Instance, type Responses } from 'switchyard';
import {
  createProxy,
  fetchTransport,
  httpWorker,
  isHttpStatusError,
  type Proxy,
  type ProxyHandleInit,
  type Transport,
  type TransportResponse,
} from 'switchyard/http';

const instances: Instance[] = [{ id: 'cloud', url: 'https://cloud.example' }];
const fanout = createFanout({ router: staticRouter(instances), timeoutMs: 2_000 });
const worker = httpWorker<{ id: string }[], { q: string }>({ path: (call) => \`/groups?q=\${encodeURIComponent(call.data.q)}\` });
export const groups: Promise<{ id: string }[]> = fanout.run({ operation: 'search', data: { q: 'a' }, context: {}, worker, strategy: mergeAll() });
export const first = fanout.run({ operation: 'search', data: { q: 'a' }, context: {}, worker, strategy: firstSuccess() });

const proxy: Proxy = createProxy({ target: 'https://api.example/base', transport: fetchTransport({ fetch }) });
const init: ProxyHandleInit = { path: '/x', clientAddress: undefined, signal: new AbortController().signal };
export const answer: Promise<Response> = proxy.handle(new Request('https://front.example/x'), init);

export async function read(transport: Transport): Promise<number> {
  const response: TransportResponse = await transport.request({ url: new URL('https://a.example/'), method: 'GET', headers: {}, body: null, signal: AbortSignal.timeout(1_000) });
  return response.status;
}
export const known = (error: unknown): boolean => isSwitchyardError(error) || isHttpStatusError(error);
export type All = Responses<{ id: string }[]>;
`;

/** A consumer of `switchyard/node`, whose adapters take Node's types: proves the check fails when a declaration needs them. */
const NODE_CONSUMER = `
import { toNodeHandler } from 'switchyard/node';
import { createProxy } from 'switchyard/http';
export const handler = toNodeHandler(createProxy({ target: 'https://api.example' }));
`;

/** The newest modification time of any file under `dir`. */
async function newest(dir: string): Promise<number> {
  let latest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? await newest(path) : (await stat(path)).mtimeMs);
  }
  return latest;
}

interface Checked {
  diagnostics: string[];
  /** Every file the program read, relative to the project. */
  files: string[];
  /** Where `switchyard/http` resolved from the consumer. */
  resolved: string | undefined;
}

function check(project: string, file: string, code: string, options: ts.CompilerOptions): Checked {
  const path = join(project, file);
  const compilerOptions: ts.CompilerOptions = {
    ...options,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    strict: true,
    exactOptionalPropertyTypes: true,
    // Declarations are what is under test: check them, and every import they make must resolve.
    skipLibCheck: false,
    noEmit: true,
  };
  const host = ts.createCompilerHost(compilerOptions, true);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (name) => name === path || fileExists.call(host, name);
  host.readFile = (name) => (name === path ? code : readFile.call(host, name));
  host.getSourceFile = (name, language, onError, create) =>
    name === path ? ts.createSourceFile(name, code, language, true) : getSourceFile.call(host, name, language, onError, create);
  const program = ts.createProgram([path], compilerOptions, host);
  const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const where = diagnostic.file === undefined ? '(program)' : relative(project, diagnostic.file.fileName);
    return `${where}: TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ')}`;
  });
  const source = program.getSourceFile(path)!;
  const specifier = source.statements
    .filter(ts.isImportDeclaration)
    .map((statement) => statement.moduleSpecifier)
    .find((name) => ts.isStringLiteral(name) && name.text === 'switchyard/http') as ts.StringLiteral | undefined;
  const resolved =
    specifier === undefined
      ? undefined
      : ts.resolveModuleName(specifier.text, path, compilerOptions, host, undefined, undefined, ts.getModeForUsageLocation(source, specifier, compilerOptions))
          .resolvedModule?.resolvedFileName;
  return {
    diagnostics,
    files: program.getSourceFiles().map((sourceFile) => relative(project, sourceFile.fileName)),
    resolved: resolved === undefined ? undefined : relative(project, resolved),
  };
}

const bundler: ts.CompilerOptions = { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler };
const nodeNext: ts.CompilerOptions = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };

describe('the published types of switchyard and switchyard/http without @types/node', () => {
  let project: string;

  beforeAll(async () => {
    const declarations = join(root, 'dist/http.d.ts');
    const built = await stat(declarations).then((info) => info.mtimeMs, () => 0);
    if (built < (await newest(join(root, 'src')))) await run('npx', ['tsup'], { cwd: root });

    project = await mkdtemp(join(tmpdir(), 'switchyard-types-'));
    const installed = join(project, 'node_modules/switchyard');
    await mkdir(join(installed, 'dist'), { recursive: true });
    await copyFile(join(root, 'package.json'), join(installed, 'package.json'));
    for (const name of await readdir(join(root, 'dist'))) {
      if (name.endsWith('.d.ts') || name.endsWith('.d.cts')) await copyFile(join(root, 'dist', name), join(installed, 'dist', name));
    }
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  }, 120_000);

  afterAll(async () => {
    if (project !== undefined) await rm(project, { recursive: true, force: true });
  });

  it.each([
    ['a bundler project (import condition)', 'consumer.ts', bundler, 'node_modules/switchyard/dist/http.d.ts'],
    ['a NodeNext ES module (node and import conditions)', 'consumer.mts', nodeNext, 'node_modules/switchyard/dist/http.d.ts'],
    ['a NodeNext CommonJS module (require condition)', 'consumer.cts', nodeNext, 'node_modules/switchyard/dist/http.d.cts'],
  ] as const)('compile in %s', (_name, file, options, declarations) => {
    const result = check(project, file, CONSUMER, options);
    expect(result.resolved).toBe(declarations);
    expect(result.diagnostics).toEqual([]);
    expect(result.files.filter((name) => /@types\/node|undici/.test(name))).toEqual([]);
  });

  it('would fail for declarations that need Node types (switchyard/node does)', () => {
    const result = check(project, 'node-consumer.ts', NODE_CONSUMER, bundler);
    expect(result.diagnostics.join('\n')).toMatch(/Cannot find module 'node:http'/);
  });
});
