import { build, type Plugin } from 'esbuild';
import { gzipSync } from 'node:zlib';

/** What a browser app pays for one entry of switchyard. */
export interface BundleSize {
  entry: string;
  minifiedBytes: number;
  gzippedBytes: number;
  /** Every `node:` module the bundle would import, as `importer -> node:x`; empty when it runs anywhere. */
  nodeImports: string[];
}

/** The budget of the `switchyard` entry, minified and gzipped with its dependencies. */
export const CORE_BUDGET_BYTES = 25 * 1024;

/** The entries whose bundles must run outside Node, from the package root. */
export const PORTABLE_ENTRIES = { switchyard: 'src/index.ts', 'switchyard/http': 'src/http/index.ts', 'switchyard/routing': 'src/routing/index.ts' } as const;

/**
 * Bundles `entry` (a source file) with its dependencies for the browser, minified, as a web app's
 * bundler would, and measures it. `node:` imports are kept external and reported rather than
 * failing the build, so the caller can name each one.
 */
export async function measureBundle(root: string, entry: string): Promise<BundleSize> {
  const nodeImports: string[] = [];
  const reportNode: Plugin = {
    name: 'report-node-imports',
    setup(builder) {
      builder.onResolve({ filter: /^node:/ }, (args) => {
        nodeImports.push(`${args.importer.slice(root.length)} -> ${args.path}`);
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    plugins: [reportNode],
  });
  const code = result.outputFiles[0]!.contents;
  return { entry, minifiedBytes: code.byteLength, gzippedBytes: gzipSync(code).byteLength, nodeImports };
}
