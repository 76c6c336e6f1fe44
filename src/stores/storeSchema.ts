import { expected, hasMethods } from '../_internal/validate.js';
import type { Store } from './types.js';

/** Checks that an option is a {@link Store}, so a wrong object fails at creation naming the methods it needs. */
export const storeSchema = expected<Store>('a Store ({ get, set, delete, deletePrefix })', (v) =>
  hasMethods(v, ['get', 'set', 'delete', 'deletePrefix']),
);
