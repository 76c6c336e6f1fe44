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

/**
 * A fresh copy of the matcher module (it remembers a refused code generation), the watched
 * compiler, and how many lookups went through compiled code.
 */
async function load() {
  vi.resetModules();
  const { createRouteMatcher } = await import('../../../src/routing/index.js');
  const { compileRouter } = await import('rou3/compiler');
  const actual = await vi.importActual<typeof import('rou3/compiler')>('rou3/compiler');
  const compiledLookups = { count: 0 };
  const watched = vi.mocked(compileRouter);
  watched.mockImplementation(((router: Parameters<typeof actual.compileRouter>[0], options: { matchAll: true }) => {
    const lookup = actual.compileRouter(router, options);
    const counted = (method: string, path: string) => {
      compiledLookups.count += 1;
      return lookup(method, path);
    };
    // The matcher sizes the generated code by the function's source.
    counted.toString = () => lookup.toString();
    return counted;
  }) as typeof actual.compileRouter);
  return { createRouteMatcher, compileRouter: watched, compiledLookups };
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
  const { createRouteMatcher, compileRouter, compiledLookups } = await load();
  const matcher = createRouteMatcher(TABLE);
  expect(compileRouter).toHaveBeenCalledTimes(1);
  expect(urls(matcher)).toEqual(EXPECTED);
  // Exact paths are answered by the matcher's own map; the other three went through compiled code.
  expect(compiledLookups.count).toBe(3);
});

it('walks the tree with compile: false, and for large tables', async () => {
  const { createRouteMatcher, compileRouter, compiledLookups } = await load();
  expect(urls(createRouteMatcher(TABLE, { compile: false }))).toEqual(EXPECTED);
  expect(compileRouter).not.toHaveBeenCalled();

  // Too many routes to try.
  const many: Record<string, string> = { ...TABLE };
  for (let i = 0; i < 300; i++) many[`/svc${i}/:id`] = `https://svc${i}.internal/:id`;
  const walked = createRouteMatcher(many);
  expect(compileRouter).not.toHaveBeenCalled();
  expect(walked.match({ path: '/svc299/7' })?.target?.url).toBe('https://svc299.internal/7');
  expect(urls(walked)).toEqual(EXPECTED);

  // Few enough to try, but the generated code is too large to be fast: compiled, then dropped.
  const deep: Record<string, string> = { ...TABLE };
  for (let i = 0; i < 70; i++) for (const version of ['v1', 'v2', 'v3']) deep[`/svc${i}/${version}/:id/items/**`] = `https://svc${i}.internal/${version}/:id`;
  const dropped = createRouteMatcher(deep);
  expect(compileRouter).toHaveBeenCalledTimes(1);
  expect(compileRouter.mock.results[0]!.value.toString().length).toBeGreaterThan(24_000);
  expect(dropped.match({ path: '/svc69/v3/7/items/a' })?.target?.url).toBe('https://svc69.internal/v3/7/a');
  expect(urls(dropped)).toEqual(EXPECTED);
  expect(compiledLookups.count).toBe(0);
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
