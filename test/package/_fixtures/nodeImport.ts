// Imports a Node builtin on purpose: the bundle check must report it.
import { join } from 'node:path';

export const joined = join('a', 'b');
