import { SwitchyardError } from '../../errors/SwitchyardError.js';
import { formatPath, substituteEnv, type Path } from './_env.js';
import { validateDocument, type PolicyProblem } from './_validate.js';
import type { Policy, PolicyDocument } from './types.js';

/** Options of {@link parsePolicy}. */
export interface ParsePolicyOptions {
  /**
   * The text's format. `auto` reads text starting with `{` as JSON and anything else as YAML.
   * @default 'auto'
   */
  format?: 'yaml' | 'json' | 'auto';
  /**
   * Variables for `${VAR}`, `${VAR:-default}` and `${VAR:?message}` in string values.
   * @default process.env where it exists, else no variables
   */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Finds the line and column of a path in the source, where the format has them. */
type Locate = (path: Path) => { line: number; col: number } | undefined;

function defaultEnv(): Readonly<Record<string, string | undefined>> {
  const process = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return process?.env ?? {};
}

async function loadYaml(): Promise<typeof import('yaml')> {
  try {
    return await import('yaml');
  } catch (cause) {
    throw new SwitchyardError(
      'INVALID_CONFIG',
      'Reading a YAML routing policy needs the `yaml` package: install it (npm install yaml), or pass the policy as JSON',
      { cause },
    );
  }
}

async function parseText(text: string, format: 'yaml' | 'json'): Promise<{ document: unknown; locate: Locate }> {
  if (format === 'json') {
    try {
      return { document: JSON.parse(text) as unknown, locate: () => undefined };
    } catch (cause) {
      throw new SwitchyardError('INVALID_CONFIG', `Invalid routing policy: not valid JSON (${(cause as Error).message})`, { cause });
    }
  }
  const yaml = await loadYaml();
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error !== undefined) {
    const where = error.linePos?.[0];
    const at = where === undefined ? '' : ` (line ${where.line}, column ${where.col})`;
    throw new SwitchyardError('INVALID_CONFIG', `Invalid routing policy: not valid YAML${at}: ${error.code}`, { cause: error });
  }
  const locate: Locate = (path) => {
    for (let depth = path.length; depth > 0; depth--) {
      const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
      if (node !== undefined && node !== null && typeof node === 'object' && node.range !== undefined) {
        return lineCounter.linePos(node.range[0]);
      }
      const parent = doc.getIn(path.slice(0, depth - 1), true) as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | undefined;
      const pair = parent?.items?.find((item) => item.key?.value === path[depth - 1]);
      if (pair?.key?.range !== undefined) return lineCounter.linePos(pair.key.range[0]);
    }
    return undefined;
  };
  return { document: doc.toJS({ maxAliasCount: 100 }) as unknown, locate };
}

function render(problem: PolicyProblem, locate: Locate, fromEnv: Record<string, string>): string {
  const path = formatPath(problem.path);
  const where = locate(problem.path);
  const at = where === undefined ? '' : ` (line ${where.line}, column ${where.col})`;
  const reference = fromEnv[path];
  const env = reference === undefined || problem.message.startsWith('${') ? '' : ` (value from ${reference}, not shown)`;
  return problem.message.startsWith('${') ? `${problem.message}${at}` : `${path || 'policy'}: ${problem.message}${env}${at}`;
}

function fail(problems: readonly PolicyProblem[], locate: Locate, fromEnv: Record<string, string>): never {
  const lines = problems.map((p) => render(p, locate, fromEnv));
  throw new SwitchyardError('INVALID_CONFIG', `Invalid routing policy:\n- ${lines.join('\n- ')}`);
}

/**
 * Resolves env references in an already parsed document and validates it: the synchronous core of
 * {@link parsePolicy}, also used by policy stores on the documents they keep.
 */
export function policyFromDocument(
  document: unknown,
  env: Readonly<Record<string, string | undefined>> = defaultEnv(),
  locate: Locate = () => undefined,
): Policy {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new SwitchyardError('INVALID_CONFIG', 'Invalid routing policy:\n- policy: expected an object with `version` and `shards`');
  }
  const source = JSON.parse(JSON.stringify(document)) as PolicyDocument;
  const { value, fromEnv, problems } = substituteEnv(source, env);
  if (problems.length > 0) fail(problems, locate, fromEnv);
  const result = validateDocument(value, source, fromEnv);
  if (!result.ok) fail(result.problems, locate, fromEnv);
  return result.policy;
}

/**
 * Reads a routing policy from YAML or JSON text (or an object), substitutes environment
 * variables and validates it: which shards exist, which tenant and key prefix goes where, and how
 * the rest is hashed.
 *
 * Variables are substituted after parsing and only inside string values, so `${VAR}` can never add
 * a key or an item. Unknown keys are refused. Every problem is reported with its path (and its line
 * and column in YAML) in one `INVALID_CONFIG` error — `tenants.tenant_a: unknown shard "shard_9"`,
 * `${DB_HOST}: not set (line 4, column 12)` — and values that came from variables are never shown.
 * YAML needs the optional `yaml` package, loaded only when YAML is read.
 *
 * @example
 * ```ts
 * import { parsePolicy } from 'switchyard/routing';
 *
 * const policy = await parsePolicy(
 *   `
 * version: 1
 * shards:
 *   shard_0: { instances: [{ url: "https://db0.internal" }] }
 *   shard_1: { instances: [{ url: "\${SHARD_1_URL:-https://db1.internal}" }] }
 * tenants:
 *   tenant_a: shard_0
 * ranges:
 *   - { prefix: "user_", shard: shard_1 }
 * `,
 *   { env: { SHARD_1_URL: 'https://db1.eu.internal' } },
 * );
 * ```
 */
export async function parsePolicy(input: string | object, options: ParsePolicyOptions = {}): Promise<Policy> {
  const env = options.env ?? defaultEnv();
  if (typeof input !== 'string') return policyFromDocument(input, env);
  const requested = options.format ?? 'auto';
  if (!['yaml', 'json', 'auto'].includes(requested)) {
    throw new SwitchyardError('INVALID_CONFIG', `Expected \`format\` to be "yaml", "json" or "auto", got ${JSON.stringify(requested)}`);
  }
  const format = requested === 'auto' ? (input.trimStart().startsWith('{') ? 'json' : 'yaml') : requested;
  const { document, locate } = await parseText(input, format);
  return policyFromDocument(document, env, locate);
}
