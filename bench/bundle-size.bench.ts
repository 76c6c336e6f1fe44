import { fileURLToPath } from 'node:url';
import { CORE_BUDGET_BYTES, measureBundle, PORTABLE_ENTRIES } from './_support/bundleSize.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** The browser bundle size of each portable entry (test/package/bundle.test.ts holds the budget). */
export default async function bundleSize(): Promise<string> {
  const rows: string[] = [];
  for (const [name, entry] of Object.entries(PORTABLE_ENTRIES)) {
    const size = await measureBundle(root, entry);
    rows.push(`| \`${name}\` | ${kb(size.minifiedBytes)} | ${kb(size.gzippedBytes)} | ${size.nodeImports.length === 0 ? 'none' : size.nodeImports.join(', ')} |`);
  }
  return `## Bundle size

Each entry bundled from source with its dependencies by esbuild for the browser, minified, then
gzipped (Node's zlib, default level), as a web or edge app would ship it. The \`switchyard\` entry
has a budget of ${kb(CORE_BUDGET_BYTES)} gzipped, checked by test/package/bundle.test.ts.

| entry | minified | gzipped | \`node:\` imports |
|---|---:|---:|---|
${rows.join('\n')}`;
}
