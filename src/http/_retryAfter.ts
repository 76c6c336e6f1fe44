/**
 * Parses a Retry-After value (delay seconds or an HTTP-date) into milliseconds from `now`;
 * undefined when absent or malformed, 0 for a date in the past.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // All three HTTP-date forms start with the weekday; requiring it keeps Date.parse from
  // accepting bare numbers such as "-1" or "1.5".
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
