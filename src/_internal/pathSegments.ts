/** Raw control characters, space, DEL, the fragment marker and backslash never belong in a path we match or forward. */
export const FORBIDDEN_RAW = /[\u0000-\u0020\u007f#\\]/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_DECODE_ROUNDS = 4;

/**
 * What is wrong with one path segment, decoded layer by layer (so `%252e%252e` is caught as well
 * as `%2e%2e`): a dot segment, an encoded slash or backslash, or a control character could make
 * some hop in the chain resolve the path outside what was checked. Undefined when it is safe.
 * Shared by the proxy (`switchyard/http`) and the path router (`switchyard/routing`) so both
 * refuse exactly the same paths.
 */
export function segmentProblem(segment: string): string | undefined {
  let current = segment;
  for (let round = 0; round <= MAX_DECODE_ROUNDS; round++) {
    // Servlet containers (Tomcat, Jetty) drop `;params` before resolving, so `..;x` is `..` to them.
    const beforeParams = current.split(';', 1)[0];
    if (beforeParams === '.' || beforeParams === '..') return 'dot segment';
    if (current.includes('/') || current.includes('\\')) return 'encoded separator';
    if (CONTROL.test(current)) return 'control character';
    if (!current.includes('%')) return undefined;
    let decoded: string;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      return 'malformed percent-encoding';
    }
    if (decoded === current) return undefined;
    current = decoded;
  }
  return 'too many encoding layers';
}
