/**
 * Type-checks every TypeScript snippet in README.md and docs/**\/*.md against the source, as a
 * user's strict project would see it (`switchyard` → src). A fence of ```ts or ```typescript is
 * checked; ```ts nocheck marks a deliberately partial snippet. Each snippet is its own module, so
 * it must import what it uses (or `declare` what it assumes). Failures say file and line.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractSnippets, markdownFiles, type Snippet } from './_snippets.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const SNIPPET_SUFFIX = /\.md\.L(\d+)\.ts$/;

function compilerOptions(): ts.CompilerOptions {
  // The same `switchyard/*` → src mapping as the project's own type check.
  const { paths } = (JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions;
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: true,
    noEmit: true,
    esModuleInterop: true,
    moduleDetection: ts.ModuleDetectionKind.Force,
    baseUrl: root,
    paths,
  };
}

/** Type-checks all snippets in one program; returns `file:line: message` per diagnostic, by markdown file. */
function check(snippets: Snippet[]): Map<string, string[]> {
  const virtual = new Map<string, Snippet>();
  for (const snippet of snippets) virtual.set(join(root, `${snippet.file}.L${snippet.line}.ts`), snippet);
  const options = compilerOptions();
  const host = ts.createCompilerHost(options, true);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (path) => virtual.has(path) || fileExists.call(host, path);
  host.readFile = (path) => virtual.get(path)?.code ?? readFile.call(host, path);
  host.getSourceFile = (path, language, onError, create) => {
    const snippet = virtual.get(path);
    return snippet === undefined ? getSourceFile.call(host, path, language, onError, create) : ts.createSourceFile(path, snippet.code, language, true);
  };
  const program = ts.createProgram([...virtual.keys()], options, host);
  const byFile = new Map<string, string[]>();
  const add = (key: string, entry: string) => byFile.set(key, [...(byFile.get(key) ?? []), entry]);
  // Users see the package through its declarations: only the snippets' own diagnostics count,
  // plus any that concern the whole program (options, missing libraries).
  for (const diagnostic of [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]) {
    add('(program)', `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n    ')}`);
  }
  for (const [path, snippet] of virtual) {
    const source = program.getSourceFile(path)!;
    for (const diagnostic of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const { line, character } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n    ');
      add(snippet.file, `${snippet.file}:${snippet.line + line}:${character + 1}: TS${diagnostic.code}: ${message}`);
    }
  }
  return byFile;
}

const files = markdownFiles().map((path) => relative(root, path));
const snippets = files.flatMap((file) => extractSnippets(file, readFileSync(join(root, file), 'utf8')));

describe('extractSnippets', () => {
  const text = ['# Title', '', '```ts', 'const a = 1;', '```', '', '```ts nocheck', 'partial(', '```', '~~~typescript', 'const b = 2;', 'const c = b;', '~~~', '```sh', 'npm test', '```'].join('\n');

  it('finds ts and typescript fences with the line of their first code line, and skips nocheck and other languages', () => {
    expect(extractSnippets('x.md', text)).toEqual([
      { file: 'x.md', line: 4, code: 'const a = 1;' },
      { file: 'x.md', line: 11, code: 'const b = 2;\nconst c = b;' },
    ]);
  });

  it('reports a type error at the markdown file and line where it is', () => {
    const broken = extractSnippets('docs/broken.md', ['text', '```ts', 'const ok = 1;', "const n: number = 'two';", '```'].join('\n'));
    expect(check(broken).get('docs/broken.md')).toEqual([
      "docs/broken.md:4:7: TS2322: Type 'string' is not assignable to type 'number'.",
    ]);
  }, 120_000);
});

describe('TypeScript snippets in the docs', () => {
  let errors: Map<string, string[]>;
  beforeAll(() => {
    errors = check(snippets);
  }, 120_000);

  it('finds the snippets it checks', () => {
    expect(snippets.length).toBeGreaterThan(10);
    expect(SNIPPET_SUFFIX.test(`README.md.L${snippets[0]!.line}.ts`)).toBe(true);
  });

  it('checks them in a program that loads cleanly', () => {
    expect(errors.get('(program)') ?? []).toEqual([]);
  });

  it.each(files.filter((file) => snippets.some((snippet) => snippet.file === file)))('%s compiles', (file) => {
    const found = errors.get(file) ?? [];
    if (found.length > 0) throw new Error(`${found.length} type error(s) in snippets of ${file}:\n  ${found.join('\n  ')}`);
  });
});
