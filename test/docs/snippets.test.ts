/**
 * Type-checks every TypeScript snippet in README.md and docs/**\/*.md against the source, as a
 * user's strict project would see it (`switchyard` → src). A fence of ```ts or ```typescript is
 * checked; ```ts nocheck marks a deliberately partial snippet. Each snippet is its own module, so
 * it must import what it uses (or `declare` what it assumes). Failures say file and line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Snippet {
  /** Path of the markdown file, relative to the repository root. */
  file: string;
  /** 1-based line of the snippet's first code line in the markdown file. */
  line: number;
  code: string;
}

function markdownFiles(): string[] {
  const files = [join(root, 'README.md')];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk(join(root, 'docs'));
  return files.sort();
}

/** The ```ts / ```typescript blocks of one markdown text (not those marked `nocheck`). */
export function extractSnippets(file: string, text: string): Snippet[] {
  const snippets: Snippet[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript|tsx)\b(.*)$/.exec(lines[index]!);
    if (open === null) continue;
    const [, indent, fence, , info] = open;
    const body: string[] = [];
    let end = index + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(fence!)) body.push(lines[end++]!.slice(indent!.length));
    if (!/\bnocheck\b/.test(info!)) snippets.push({ file, line: index + 2, code: body.join('\n') });
    index = end;
  }
  return snippets;
}

const SNIPPET_SUFFIX = /\.md\.L(\d+)\.ts$/;

function compilerOptions(): ts.CompilerOptions {
  const paths: Record<string, string[]> = {
    switchyard: ['./src/index.ts'],
    'switchyard/http': ['./src/http/index.ts'],
    'switchyard/routing': ['./src/routing/index.ts'],
    'switchyard/redis': ['./src/stores/redis/index.ts'],
    'switchyard/otel': ['./src/otel/index.ts'],
    'switchyard/testing': ['./src/testing/index.ts'],
  };
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
