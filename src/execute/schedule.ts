import pLimit from 'p-limit';
import type { AnyCall } from './call.js';
import type { InstanceRun } from './retry.js';

/**
 * Step 3: starts every admitted run, at most `concurrency` at once (p-limit queues the rest, and
 * a queued run starts with the time that remains). Runs whose breaker is open settle at once as
 * `skipped: circuit-open`. `now` is the one clock read shared by the runs started here.
 */
export function schedule(call: AnyCall, runs: readonly InstanceRun[], now: number): void {
  const limit = call.config.concurrency < runs.length ? pLimit(call.config.concurrency) : undefined;
  for (const run of runs) {
    if (run.circuitOpen) {
      call.settle(run, { status: 'skipped', instance: run.instance, reason: 'circuit-open' });
      if (call.finished) return;
      continue;
    }
    if (limit === undefined) run.start(now);
    // A run that throws while starting fails the call, as the unqueued path does.
    else limit(() => run.startQueued()).catch((error: unknown) => call.fail(error));
  }
}
