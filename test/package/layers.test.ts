import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../../src', import.meta.url));

/** Folders whose subfolders are layers of their own (`routing/shard`, `stores/redis` …). */
const NESTED = new Set(['routing', 'stores']);
/** Leaves: they import nothing outside themselves. */
const LEAVES = new Set(['core', 'errors']);
/** `_internal` sits just above the leaves: it may import them and nothing else. */
const BELOW_INTERNAL = new Set(['core', 'errors']);

/**
 * Folder cycles accepted for now, each with the reason and the way out. There are none today:
 * add one only when untangling it must wait, so that no other can appear unnoticed. The test also
 * fails when a listed one is gone, so the list only shrinks.
 */
const KNOWN_CYCLES: ReadonlyArray<{ units: readonly string[]; why: string }> = [];

/**
 * Edges that would not make a cycle today but point the wrong way: a policy depending on one store
 * implementation, an adapter on another, routing (portable, no proxy) on the HTTP proxy.
 */
const FORBIDDEN: ReadonlyArray<{ from: RegExp; to: RegExp; why: string }> = [
  { from: /^dedup$/, to: /^stores\/.+/, why: 'dedup takes its store as a Store (stores/types); the memory store lives beside that contract' },
  { from: /^stores\/.+/, to: /^stores\/.+/, why: 'one store implementation never imports another; shared bits live in stores/' },
  { from: /^(routing\/.+|router)$/, to: /^http$/, why: 'switchyard/routing holds no proxy code: forwarding is injected (proxyForward)' },
];

interface Edge {
  from: string;
  to: string;
  /** One file that makes the edge, and what it imports. */
  file: string;
  specifier: string;
}

/** The layer a file under src/ belongs to: its top folder, or `routing/x` / `stores/x`. */
function unitOf(file: string): string {
  const parts = relative(src, file).split(sep);
  if (parts.length === 1) return parts[0]!.replace(/\.ts$/, '');
  if (NESTED.has(parts[0]!) && parts.length > 2) return `${parts[0]}/${parts[1]}`;
  return parts[0]!;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative specifiers of every static, type-only, re-export and dynamic import in `text`. */
function relativeImports(text: string): string[] {
  const found: string[] = [];
  const patterns = [/\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/g, /\bimport\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g];
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) found.push(match[1]!);
  return found;
}

function importEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(src)) {
    const from = unitOf(file);
    for (const specifier of relativeImports(readFileSync(file, 'utf8'))) {
      const to = unitOf(resolve(dirname(file), specifier));
      if (to !== from) edges.push({ from, to, file: relative(src, file).split(sep).join('/'), specifier });
    }
  }
  return edges;
}

/** Strongly connected groups of more than one unit (Tarjan), each sorted; the groups sorted too. */
function cyclesOf(edges: readonly Pick<Edge, 'from' | 'to'>[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (!next.has(from)) next.set(from, new Set());
    if (!next.has(to)) next.set(to, new Set());
    next.get(from)!.add(to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (unit: string) => {
    index.set(unit, index.size);
    low.set(unit, index.get(unit)!);
    stack.push(unit);
    onStack.add(unit);
    for (const to of next.get(unit)!) {
      if (!index.has(to)) {
        visit(to);
        low.set(unit, Math.min(low.get(unit)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(unit, Math.min(low.get(unit)!, index.get(to)!));
    }
    if (low.get(unit) === index.get(unit)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== unit);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const unit of [...next.keys()].sort()) if (!index.has(unit)) visit(unit);
  return groups.sort((a, b) => a.join().localeCompare(b.join()));
}

/** One line per edge inside `group`, naming the file that makes it. */
function describeCycle(group: readonly string[], edges: readonly Edge[]): string {
  const inside = new Map<string, Edge>();
  for (const edge of edges) {
    if (group.includes(edge.from) && group.includes(edge.to) && !inside.has(`${edge.from}>${edge.to}`)) inside.set(`${edge.from}>${edge.to}`, edge);
  }
  const lines = [...inside.values()].map((edge) => `  ${edge.from} -> ${edge.to} (src/${edge.file} imports '${edge.specifier}')`);
  return `folder cycle ${group.join(' <-> ')}:\n${lines.join('\n')}`;
}

describe('import layers in src/', () => {
  const edges = importEdges();

  it('finds the imports it checks', () => {
    // The parser must see real edges, or every check below would pass vacuously.
    expect(edges.some((edge) => edge.from === 'execute' && edge.to === 'combine')).toBe(true);
    expect(edges.some((edge) => edge.to === 'core')).toBe(true);
  });

  it('has no folder cycle, type-only imports included, beyond the listed ones', () => {
    const known = new Set(KNOWN_CYCLES.map((cycle) => [...cycle.units].sort().join(' <-> ')));
    const cycles = cyclesOf(edges);
    const unexpected = cycles.filter((group) => !known.has(group.join(' <-> ')));
    expect(unexpected.map((group) => describeCycle(group, edges)).join('\n'), 'arrows must only point down (DESIGN §4)').toBe('');
    const present = new Set(cycles.map((group) => group.join(' <-> ')));
    const gone = [...known].filter((cycle) => !present.has(cycle));
    expect(gone, 'these cycles are gone: remove them from KNOWN_CYCLES').toEqual([]);
  });

  it('keeps the leaves importing nothing and _internal importing only the leaves', () => {
    const upward = edges.filter(
      (edge) => (LEAVES.has(edge.from) && !LEAVES.has(edge.to)) || (edge.from === '_internal' && !BELOW_INTERNAL.has(edge.to)),
    );
    expect(upward.map((edge) => `${edge.from} -> ${edge.to}: src/${edge.file} imports '${edge.specifier}'`)).toEqual([]);
  });

  it('has none of the forbidden edges', () => {
    const found = edges.flatMap((edge) =>
      FORBIDDEN.filter((rule) => rule.from.test(edge.from) && rule.to.test(edge.to) && edge.from !== edge.to).map(
        (rule) => `${edge.from} -> ${edge.to}: src/${edge.file} imports '${edge.specifier}' (${rule.why})`,
      ),
    );
    expect(found).toEqual([]);
  });

  it('lets nothing import the root barrel', () => {
    expect(edges.filter((edge) => edge.to === 'index').map((edge) => `src/${edge.file} imports '${edge.specifier}'`)).toEqual([]);
  });
});

describe('the layer checks themselves', () => {
  it('read type-only, re-export and dynamic imports', () => {
    const text = [
      "import type { A } from '../a/types.js';",
      "export { b } from './b.js';",
      "const c = await import('../../c/index.js');",
      "import { d } from 'ioredis';",
      "import './side.js';",
    ].join('\n');
    expect(relativeImports(text).sort()).toEqual(['../../c/index.js', '../a/types.js', './b.js', './side.js']);
  });

  it('find a two-folder cycle and a longer one, and no cycle in a chain', () => {
    const edge = (from: string, to: string) => ({ from, to });
    expect(cyclesOf([edge('execute', 'combine'), edge('combine', 'execute'), edge('execute', 'core')])).toEqual([['combine', 'execute']]);
    expect(cyclesOf([edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('c', 'd')])).toEqual([['a', 'b', 'c']]);
    expect(cyclesOf([edge('a', 'b'), edge('b', 'c'), edge('a', 'c')])).toEqual([]);
  });
});
