/**
 * How much slower than real time the demo runs: every duration it sets (the BFF's timeouts, the
 * instances' injected delays, the caller's abort) is multiplied by `SWITCHYARD_DEMO_TIME_SCALE`
 * (default 1). The demo's scenarios depend on the ratios between those durations (a 600 ms
 * instance is slower than a 300 ms timeout; an 80 ms one is not), not on their size, so a loaded
 * machine can run it at a larger scale and see the same outcomes.
 */
export const TIME_SCALE: number = parseScale(process.env.SWITCHYARD_DEMO_TIME_SCALE);

function parseScale(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 1;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new Error(`SWITCHYARD_DEMO_TIME_SCALE must be a positive number such as 1 or 5 (got ${JSON.stringify(raw)})`);
  }
  return scale;
}

/** A demo duration in milliseconds at the current time scale. */
export const scaled = (ms: number): number => Math.round(ms * TIME_SCALE);
