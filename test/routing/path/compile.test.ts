import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { createRouteMatcher } from '../../../src/routing/index.js';

const run = promisify(execFile);

it('matches the same where code generation is disallowed: the tree is walked instead of compiled', async () => {
  const fixture = fileURLToPath(new URL('./_fixtures/noCodegen.ts', import.meta.url));
  const { stdout } = await run(process.execPath, ['--disallow-code-generation-from-strings', '--import', 'tsx', fixture]);
  const { refused, urls } = JSON.parse(stdout) as { refused: boolean; urls: (string | null)[] };
  // The child really refused `new Function`, so the matcher could not have compiled.
  expect(refused).toBe(true);
  expect(urls).toEqual(['https://health.internal/status', 'https://items.internal/items/42', 'https://api.internal/42/history', null]);
});

it('takes compile: false and refuses a compile that is not a boolean', () => {
  const matcher = createRouteMatcher({ '/a/:id': 'https://a.internal/:id' }, { compile: false });
  expect(matcher.match({ path: '/a/1' })?.target?.url).toBe('https://a.internal/1');
  expect(() => createRouteMatcher({}, { compile: 'yes' as never })).toThrow(/compile/);
});
