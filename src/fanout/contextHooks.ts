import type { ExecutionConfig } from '../execute/execute.js';
import type { FanoutHooks } from '../execute/hooks.js';

/**
 * A fanout's hooks as its options type them: every state also carries the `context` of the call
 * it belongs to, typed as the fanout's context, so an observer can log the tenant or user without
 * a lookup of its own.
 */
export type ContextHooks<Ctx = unknown> = {
  [K in keyof FanoutHooks]?: (state: Parameters<NonNullable<FanoutHooks[K]>>[0] & { context: Ctx }) => void;
};

/**
 * The settings of one call whose hooks add the call's context to every state. The executor emits
 * the states; this binds the context once per call, and costs nothing when there are no hooks.
 */
export function withCallContext(config: ExecutionConfig, context: unknown): ExecutionConfig {
  const hooks = config.hooks as Record<string, ((state: object) => void) | undefined> | undefined;
  if (hooks === undefined) return config;
  const bound: Record<string, (state: object) => void> = {};
  for (const name of Object.keys(hooks)) {
    const hook = hooks[name];
    if (typeof hook === 'function') bound[name] = (state) => hook({ ...state, context });
  }
  return { ...config, hooks: bound as FanoutHooks };
}
