import type { Outcome, Responses } from '../core/outcome.js';

/** How merging strategies order what they combine. */
export type MergeOrder = 'router' | 'settle';

/**
 * `outcomes` in the router's instance order (`responses.routed`), so a merge gives the same order
 * on every call; in settle order when asked, or when the responses carry no router order.
 */
export function inOrder<O extends Outcome<unknown>>(outcomes: readonly O[], responses: Responses<unknown>, order: MergeOrder): readonly O[] {
  const routed = responses.routed;
  if (order === 'settle' || routed === undefined || outcomes.length < 2 || followsRoute(outcomes, routed)) return outcomes;
  const rank = new Map<string, number>();
  for (let i = 0; i < routed.length; i += 1) {
    const id = routed[i]!.id;
    if (!rank.has(id)) rank.set(id, i);
  }
  const last = routed.length;
  // Array.prototype.sort is stable: outcomes of unknown instances keep their settle order, last.
  return outcomes.slice().sort((a, b) => (rank.get(a.instance.id) ?? last) - (rank.get(b.instance.id) ?? last));
}

/** True when `outcomes` already follow `routed` (the common case of answers in order): no sort, no allocation. */
function followsRoute(outcomes: readonly Outcome<unknown>[], routed: readonly { id: string }[]): boolean {
  let at = 0;
  for (const outcome of outcomes) {
    const id = outcome.instance.id;
    while (at < routed.length && routed[at]!.id !== id) at += 1;
    if (at === routed.length) return false;
    at += 1;
  }
  return true;
}
