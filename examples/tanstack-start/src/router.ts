import { createRouter } from '@tanstack/react-router';
import { routeTree } from './routeTree.gen.js';

/** The app's router. This example has server routes only: no pages, no components. */
export function getRouter() {
  return createRouter({ routeTree });
}
