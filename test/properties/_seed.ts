/**
 * The seed of every property in test/properties: random per run unless `FC_SEED` is set, and
 * printed, so any run can be replayed exactly (`FC_SEED=<seed> npx vitest run test/properties`).
 * A failing property also reports its seed and shrink path in the error.
 */
import fc from 'fast-check';

function seedFromEnv(): number {
  const text = process.env.FC_SEED;
  if (text === undefined || text === '') return (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new Error(`Expected FC_SEED to be an integer, got ${JSON.stringify(text)}`);
  return seed | 0;
}

export const SEED = seedFromEnv();

console.info(`[fast-check] seed ${SEED} (replay: FC_SEED=${SEED} npx vitest run test/properties)`);

/** Parameters for `fc.assert`: the run's seed, and how many cases. */
export function params<T>(numRuns = 200): fc.Parameters<T> {
  return { seed: SEED, numRuns };
}
