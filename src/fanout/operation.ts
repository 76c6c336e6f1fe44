import type { Strategy } from '../combine/types.js';
import { SwitchyardError } from '../errors/SwitchyardError.js';
import type { ExecutionConfig } from '../execute/execute.js';
import type { ExecutionOptions } from '../execute/options.js';
import type { Worker } from '../execute/types.js';
import { checkCallKeys, validateCall } from './callChecks.js';
import type { DedupRunner, ResultKind, SharedCall } from './dedupRun.js';
import type { OperationDedupOptions } from './options.js';

/** What `fanout.operation()` takes, as the implementation sees it. */
export interface AnyOperationDefinition<Data, Ctx> extends ExecutionOptions {
  name: string;
  worker: Worker<unknown, Data, Ctx>;
  strategy: Strategy<unknown, unknown>;
  dedup?: OperationDedupOptions<Data> | false;
}

/**
 * Defines a reusable operation on a fanout: checked and resolved once, bound to its name (one
 * name, one worker: the name keys dedup and the result cache), then called like a function.
 */
export function defineOperation<Data, Ctx>(
  definition: AnyOperationDefinition<Data, Ctx>,
  sharing: DedupRunner<Data, Ctx>,
  config: (overrides: ExecutionOptions) => ExecutionConfig,
  runShared: (input: SharedCall<Data, Ctx>, callConfig: ExecutionConfig, settings: OperationDedupOptions | false | undefined, kind: ResultKind) => Promise<unknown>,
): (data: Data, context: Ctx, callOptions?: { signal?: AbortSignal | undefined }) => Promise<unknown> {
  checkCallKeys(definition, 'operation');
  validateCall({ operation: definition.name, worker: definition.worker, strategy: definition.strategy }, true);
  if (sharing.isDefined(definition.name)) {
    throw new SwitchyardError(
      'INVALID_CONFIG',
      `Operation \`${definition.name}\` is already defined on this fanout; give each operation its own name (the name keys dedup and the result cache)`,
    );
  }
  const operationConfig = config(definition);
  const settings = definition.dedup as OperationDedupOptions | false | undefined;
  sharing.define(definition.name, definition.worker, settings ? (settings.key as ((data: never) => unknown) | undefined) : undefined);
  return (data, context, callOptions) =>
    runShared(
      { operation: definition.name, data, context, worker: definition.worker, strategy: definition.strategy, signal: callOptions?.signal },
      operationConfig,
      settings,
      'value',
    );
}
