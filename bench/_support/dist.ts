import { existsSync, readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url);

type Conditions = { [condition: string]: string | Conditions };

/** The file an `import` of `subpath` resolves to on Node, read from the package's `exports`. */
function entryOf(subpath: string): URL {
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { exports: Record<string, Conditions> };
  let target: string | Conditions | undefined = pkg.exports[subpath];
  while (typeof target === 'object') target = target.node ?? target.import ?? target.default;
  if (target === undefined) throw new Error(`package.json exports no ${subpath}`);
  return new URL(target, root);
}

/**
 * Imports an entry of the built package (dist/), chosen by the same `exports` conditions Node
 * applies for users (`switchyard/http` is the undici build). Under tsx a plain `import 'switchyard/http'`
 * follows tsconfig's `paths` to src/, which is the portable build with the fetch transport: a
 * bench that compares against Node clients must measure what Node users run.
 */
export async function fromDist<T>(subpath: '.' | './http' | './node'): Promise<T> {
  const file = entryOf(subpath);
  if (!existsSync(file)) throw new Error(`${file.pathname} is missing: run \`npm run build\` first`);
  return (await import(file.href)) as T;
}
