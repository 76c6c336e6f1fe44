/**
 * Builds the API reference in memory (typedoc.json, nothing written) and fails on any TypeDoc
 * warning: a broken `{@link}`, or a public signature that names a type no entry point exports.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Application, Logger, LogLevel, TSConfigReader, TypeDocReader } from 'typedoc';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { exports: Record<string, unknown> };

/** Keeps every message at warning level or above instead of printing it. */
class CollectingLogger extends Logger {
  readonly messages: string[] = [];
  override log(message: string, level: LogLevel): void {
    if (level >= LogLevel.Warn) this.messages.push(`${LogLevel[level]}: ${message}`);
  }
}

it('documents every public entry point with no TypeDoc warning', { timeout: 180_000 }, async () => {
  const app = await Application.bootstrapWithPlugins({ options: `${root}typedoc.json`, emit: 'none' }, [new TypeDocReader(), new TSConfigReader()]);
  // Reading typedoc.json went to TypeDoc's own logger, which counts what it printed.
  expect(app.logger.hasErrors() || app.logger.hasWarnings()).toBe(false);
  const logger = new CollectingLogger();
  app.logger = logger;
  const project = await app.convert();
  expect(project, logger.messages.join('\n')).toBeDefined();
  app.validate(project!);
  expect(logger.messages).toEqual([]);
  // One module per subpath of the exports map, named as users import it (`@module` in each entry).
  const subpaths = Object.keys(pkg.exports).filter((key) => key !== './package.json').map((key) => key.replace(/^\./, 'switchyard'));
  expect(project!.children?.map((module) => module.name).sort()).toEqual(subpaths.sort());
});
