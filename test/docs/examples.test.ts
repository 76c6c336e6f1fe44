// Every TypeScript example in README.md and docs/ compiles, as a user would paste it, under the
// strictest settings a user may have: the docs cannot drift from the API.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** `switchyard` and each subpath, from the build's entries, resolved to their sources. */
function subpaths(): Record<string, string[]> {
  const config = readFileSync(join(root, 'tsup.config.ts'), 'utf8');
  const paths: Record<string, string[]> = {};
  for (const [, name, source] of config.matchAll(/(\w+): '(src\/[^']+\.ts)'/g)) {
    paths[name === 'index' ? 'switchyard' : `switchyard/${name}`] = [join(root, source!)];
  }
  return paths;
}

interface Example {
  /** `docs/errors.md:12`: where the block starts. */
  where: string;
  code: string;
}

function examples(): Example[] {
  const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const found: Example[] = [];
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i += 1) {
      if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
      const start = i + 1;
      let end = start;
      while (end < lines.length && !lines[end]!.startsWith('```')) end += 1;
      found.push({ where: `${file}:${start + 1}`, code: lines.slice(start, end).join('\n') });
      i = end;
    }
  }
  return found;
}

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  types: ['node'],
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noEmit: true,
  skipLibCheck: true,
  isolatedModules: true,
  baseUrl: root,
  paths: subpaths(),
};

describe('documentation examples', () => {
  it('finds the examples to check', () => {
    expect(examples().length).toBeGreaterThan(10);
  });

  it('compile under strict, exactOptionalPropertyTypes and noUncheckedIndexedAccess', () => {
    const blocks = examples();
    // Each block is its own module (so top-level await works and names do not clash), in the
    // package root so `zod` and the peers resolve from node_modules.
    const sources = new Map(blocks.map((example, index) => [join(root, `__doc_example_${index}.ts`), `${example.code}\nexport {};\n`]));
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    host.readFile = (name) => sources.get(name) ?? readFile(name);
    host.fileExists = (name) => sources.has(name) || fileExists(name);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, language) => {
      const text = sources.get(name);
      return text === undefined ? getSourceFile(name, language) : ts.createSourceFile(name, text, language, true);
    };
    const program = ts.createProgram([...sources.keys()], options, host);
    const names = [...sources.keys()];
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file !== undefined && sources.has(d.file.fileName))
      .map((d) => {
        const example = blocks[names.indexOf(d.file!.fileName)]!;
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        const [file, first] = example.where.split(':');
        return `${file}:${Number(first) + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
  }, 120_000);
});
