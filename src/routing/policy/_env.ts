/** Where a problem sits in a document: a path like `shards.s1.instances[0].url`. */
export type Path = readonly (string | number)[];

/** `a.b[0].c` for a path. */
export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

/** An env reference that could not be resolved. */
export interface EnvProblem {
  readonly path: Path;
  readonly message: string;
}

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g;

/**
 * Substitutes `${VAR}`, `${VAR:-default}` and `${VAR:?message}` in every string scalar of a parsed
 * document (keys are left alone, `$$` is a literal `$`). Runs after parsing, so a value can only
 * ever become a string in the place it was written: a variable cannot add keys or items.
 */
export function substituteEnv(
  document: unknown,
  env: Readonly<Record<string, string | undefined>>,
): { value: unknown; fromEnv: Record<string, string>; problems: EnvProblem[] } {
  const fromEnv: Record<string, string> = {};
  const problems: EnvProblem[] = [];

  function scalar(text: string, path: Path): string {
    if (!text.includes('$')) return text;
    const references: string[] = [];
    const out = text.replace(REFERENCE, (whole, name: string | undefined, operator: string | undefined, argument: string | undefined) => {
      if (name === undefined) return '$';
      references.push(whole);
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (operator === ':-') return argument ?? '';
      if (operator === ':?') {
        problems.push({ path, message: `\${${name}}: ${argument || 'not set'}` });
        return '';
      }
      if (value === '') return value;
      problems.push({ path, message: `\${${name}}: not set` });
      return '';
    });
    if (references.length > 0) fromEnv[formatPath(path)] = references.join(' ');
    return out;
  }

  function walk(value: unknown, path: Path): unknown {
    if (typeof value === 'string') return scalar(value, path);
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[key] = walk(item, [...path, key]);
      return out;
    }
    return value;
  }

  return { value: walk(document, []), fromEnv, problems };
}
