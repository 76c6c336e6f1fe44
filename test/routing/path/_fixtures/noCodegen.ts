/** Run by compile.test.ts in a Node that refuses code generation from strings (as a strict CSP does). */
import { createRouteMatcher } from '../../../../src/routing/path/createRouteMatcher.js';

let refused = false;
try {
  new Function('return 1');
} catch (error) {
  refused = error instanceof EvalError;
}
const matcher = createRouteMatcher({
  '/api/health': 'https://health.internal/status',
  '/api/:id': 'https://items.internal/items/:id',
  '/api/*': 'https://api.internal',
});
const urls = ['/api/health', '/api/42', '/api/42/history', '/other'].map((path) => matcher.match({ path })?.target?.url ?? null);
process.stdout.write(JSON.stringify({ refused, urls }));
