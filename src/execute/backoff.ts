/** Exponential backoff settings. */
export interface BackoffOptions {
  /** @default 100 */
  baseDelayMs: number;
  /** @default 2000 */
  maxDelayMs: number;
  /** @default 2 */
  factor: number;
}

/**
 * Full-jitter exponential backoff ("Exponential Backoff And Jitter", AWS): a uniform delay in
 * [0, min(max, base * factor^(retry-1))], raised to the server's Retry-After when it gave one.
 */
export function backoffDelay(
  retry: number,
  options: BackoffOptions,
  random: () => number,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * options.factor ** (retry - 1));
  const jittered = Math.floor(random() * ceiling);
  return retryAfterMs === undefined ? jittered : Math.max(jittered, retryAfterMs);
}
