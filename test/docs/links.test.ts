/**
 * Every link in README.md and docs/ that points into this repository leads to a file that exists:
 * relative links from docs/, and the README's absolute GitHub links (which also work on npm).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const REPOSITORY = 'https://github.com/switchyard-js/switchyard/blob/main/';

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
  return files;
}

/** `file:line: target` for each link to a repository path that does not exist. */
function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  let fenced = false;
  lines.forEach((line, index) => {
    if (/^\s*(`{3,}|~{3,})/.test(line)) fenced = !fenced;
    if (fenced) return;
    for (const match of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1]!.split('#')[0]!;
      let path: string | undefined;
      if (target.startsWith(REPOSITORY)) path = join(root, target.slice(REPOSITORY.length));
      else if (target !== '' && !/^[a-z]+:/i.test(target)) path = join(dirname(file), target);
      if (path !== undefined && !existsSync(path)) broken.push(`${relative(root, file)}:${index + 1}: ${match[1]}`);
    }
  });
  return broken;
}

describe('links in the docs', () => {
  it('lead to files that exist', () => {
    expect(markdownFiles().flatMap(brokenLinks)).toEqual([]);
  });

  it('are absolute in the README, so they work on npm', () => {
    const relativeLinks = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/\]\((?!https?:|#)([^)]+)\)/g)].map((m) => m[1]);
    expect(relativeLinks).toEqual([]);
  });
});
