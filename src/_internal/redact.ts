/**
 * The text with credentials masked: the user-info of URLs (`postgres://app:secret@db` →
 * `postgres://***@db`) and `password=`/`token=`-style pairs (libpq conninfo, query strings).
 *
 * Client factories put their connection string into their error messages; those messages reach
 * logs, so every message switchyard derives from a user's client error goes through here first.
 */
export function redactSecrets(text: string): string {
  return text
    // Up to the last `@` of the authority: a password may itself contain `@` (`app:p@ss@db`).
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/gi, '$1***@')
    // The key may be quoted (`"password": "…"` in JSON).
    .replace(/\b([\w-]*?(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key))("?\s*[=:]\s*)("[^"]*"|'[^']*'|[^&\s;,]+)/gi, '$1$2***');
}

/**
 * A copy of an error that is safe to log: same name, `code` and `errno`, message and stack passed
 * through {@link redactSecrets}. Anything that is not an Error becomes one with a generic message.
 */
export function redactedError(error: unknown): Error {
  if (!(error instanceof Error)) return new Error('non-Error value thrown');
  const copy = new Error(redactSecrets(error.message));
  copy.name = error.name;
  copy.stack = error.stack === undefined ? undefined : redactSecrets(error.stack);
  const { code, errno } = error as { code?: unknown; errno?: unknown };
  if (typeof code === 'string' || typeof code === 'number') Object.assign(copy, { code });
  if (typeof errno === 'number') Object.assign(copy, { errno });
  return copy;
}
