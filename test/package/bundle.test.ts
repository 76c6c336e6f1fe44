import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { CORE_BUDGET_BYTES, measureBundle, PORTABLE_ENTRIES } from '../../bench/_support/bundleSize.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('browser bundles', () => {
  it('keeps the switchyard entry with its dependencies within 25 KB minified and gzipped', async () => {
    const size = await measureBundle(root, PORTABLE_ENTRIES.switchyard);
    expect(size.gzippedBytes).toBeGreaterThan(0);
    expect(size.gzippedBytes).toBeLessThanOrEqual(CORE_BUDGET_BYTES);
  });

  it.each(Object.entries(PORTABLE_ENTRIES))('bundles %s for the browser without any node: import', async (_name, entry) => {
    const size = await measureBundle(root, entry);
    expect(size.nodeImports).toEqual([]);
  });

  it('reports a node: import when an entry has one', async () => {
    const size = await measureBundle(root, 'test/package/_fixtures/nodeImport.ts');
    expect(size.nodeImports).toEqual(['test/package/_fixtures/nodeImport.ts -> node:path']);
  });
});

describe('switchyard/routing', () => {
  it('holds no proxy code: no module of src/http and none of its forwarding headers', async () => {
    const result = await build({
      absWorkingDir: root,
      entryPoints: [PORTABLE_ENTRIES['switchyard/routing']],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((input) => input.startsWith('src/routing/'))).toBe(true);
    expect(inputs.filter((input) => input.startsWith('src/http/'))).toEqual([]);
    const text = result.outputFiles[0]!.text;
    for (const symbol of ['createProxy', 'x-forwarded-for', 'trustProxy']) expect([symbol, text.includes(symbol)]).toEqual([symbol, false]);
  });
});
