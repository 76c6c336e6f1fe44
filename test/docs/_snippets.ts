/** Finding the TypeScript snippets of the docs; the checking is in snippets.test.ts. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Snippet {
  /** Path of the markdown file, relative to the repository root. */
  file: string;
  /** 1-based line of the snippet's first code line in the markdown file. */
  line: number;
  code: string;
}

/** README.md and every markdown file under docs/, as absolute paths. */
export function markdownFiles(): string[] {
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
