/**
 * Runs every benchmark in bench/ in one process and writes docs/benchmarks.md.
 * Each bench file default-exports `async () => string` (a markdown section with ratios).
 * `npm run bench -- name` runs only the files whose name contains `name`.
 */
import { readdir, writeFile, mkdir } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts') && (!filter || f.includes(filter))).sort();

const sections: string[] = [];
for (const file of files) {
  process.stdout.write(`running ${file}\n`);
  const started = performance.now();
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: () => Promise<string> };
  const section = await mod.default();
  sections.push(section.trim());
  process.stdout.write(`${section.trim()}\n(${((performance.now() - started) / 1000).toFixed(1)} s)\n\n`);
}

const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const page = `# Benchmarks

Written by \`npm run bench\` (builds, then runs bench/run.ts against \`dist/\`, what users install) on ${new Date().toISOString().slice(0, 10)}; machine: ${machine}.
Each section compares switchyard against a named alternative in the same run; ratios are what to
read, absolute numbers move with the machine. Benchmarks are measurements, not tests: nothing here
is asserted in CI.

${sections.join('\n\n')}
`;
if (!filter) {
  await mkdir(join(here, '..', 'docs'), { recursive: true });
  await writeFile(join(here, '..', 'docs', 'benchmarks.md'), page);
  process.stdout.write('wrote docs/benchmarks.md\n');
}
