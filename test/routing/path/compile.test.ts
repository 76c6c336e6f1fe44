import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeEach, expect, it, vi } from 'vitest';

const run = promisify(execFile);

// The real compiler, watched: these tests check when the matcher compiles, not only what it matches.
vi.mock('rou3/compiler', async (importOriginal) => {
  const actual = await importOriginal<typeof import('rou3/compiler')>();
  return { ...actual, compileRouter: vi.fn(actual.compileRouter) };
});

/** A fresh copy of the matcher module (it remembers a refused code generation) and the watched compiler. */
async function load() {
  vi.resetModules();
  const { createRouteMatcher } = await import('../../../src/routing/index.js');
  const { compileRouter } = await import('rou3/compiler');
  return { createRouteMatcher, compileRouter: vi.mocked(compileRouter) };
}

const TABLE = {
  '/api/health': 'https://health.internal/status',
  '/api/:id': 'https://items.internal/items/:id',
  '/api/*': 'https://api.internal',
};
const EXPECTED = ['https://health.internal/status', 'https://items.internal/items/42', 'https://api.internal/42/history', null];
const urls = (matcher: { match(input: { path: string }): { target: { url: string } | null } | null }) =>
  ['/api/health', '/api/42', '/api/42/history', '/other'].map((path) => matcher.match({ path })?.target?.url ?? null);

beforeEach(() => {
  vi.clearAllMocks();
});

it('compiles a gateway-sized table, and matches with it', async () => {
  const { createRouteMatcher, compileRouter } = await load();
  const matcher = createRouteMatcher(TABLE);
  expect(compileRouter).toHaveBeenCalledTimes(1);
  expect(urls(matcher)).toEqual(EXPECTED);
});

it('walks the tree with compile: false, and for a table with many exact paths or literal siblings', async () => {
  const { createRouteMatcher, compileRouter } = await load();
  expect(urls(createRouteMatcher(TABLE, { compile: false }))).toEqual(EXPECTED);
  const wide: Record<string, string> = { ...TABLE };
  for (let i = 0; i < 70; i++) wide[`/svc${i}/:id`] = `https://svc${i}.internal/:id`;
  const matcher = createRouteMatcher(wide);
  expect(compileRouter).not.toHaveBeenCalled();
  expect(matcher.match({ path: '/svc69/7' })?.target?.url).toBe('https://svc69.internal/7');
  expect(urls(matcher)).toEqual(EXPECTED);
});

it('walks the tree once code generation is refused, and stops trying', async () => {
  const { createRouteMatcher, compileRouter } = await load();
  compileRouter.mockImplementationOnce(() => {
    throw new EvalError('Code generation from strings disallowed for this context');
  });
  expect(urls(createRouteMatcher(TABLE))).toEqual(EXPECTED);
  expect(urls(createRouteMatcher(TABLE))).toEqual(EXPECTED);
  expect(compileRouter).toHaveBeenCalledTimes(1);
});

it('lets any other failure of the compiler through instead of hiding it', async () => {
  const { createRouteMatcher, compileRouter } = await load();
  compileRouter.mockImplementationOnce(() => {
    throw new TypeError('a bug in the compiler');
  });
  expect(() => createRouteMatcher(TABLE)).toThrow('a bug in the compiler');
});

it('matches the same where code generation is really disallowed', async () => {
  const fixture = fileURLToPath(new URL('./_fixtures/noCodegen.ts', import.meta.url));
  const { stdout } = await run(process.execPath, ['--disallow-code-generation-from-strings', '--import', 'tsx', fixture]);
  const result = JSON.parse(stdout) as { refused: boolean; urls: (string | null)[] };
  // The child really refused `new Function`, so the matcher could not have compiled.
  expect(result.refused).toBe(true);
  expect(result.urls).toEqual(EXPECTED);
});

it('refuses a compile option that is not a boolean', async () => {
  const { createRouteMatcher } = await load();
  expect(() => createRouteMatcher({}, { compile: 'yes' as never })).toThrow(/compile/);
});
