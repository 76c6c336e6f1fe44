/**
 * Handles and requests (by type) active now that were not active at `before`
 * (`process.getActiveResourcesInfo()`): what a test left behind. Empty when nothing leaked.
 */
export function leftoverResources(before: readonly string[]): string[] {
  const remaining = [...before];
  const leftover: string[] = [];
  for (const resource of process.getActiveResourcesInfo()) {
    const index = remaining.indexOf(resource);
    if (index === -1) leftover.push(resource);
    else remaining.splice(index, 1);
  }
  return leftover;
}

/**
 * {@link leftoverResources}, asked again every 10 ms for up to `limitMs` until nothing is left:
 * sockets and timers that a test closed disappear a few event-loop turns later, more on a loaded
 * machine. Anything still there after the limit is a leak.
 */
export async function leftoverResourcesSettled(before: readonly string[], limitMs = 5_000): Promise<string[]> {
  const deadline = Date.now() + limitMs;
  let leftover = leftoverResources(before);
  while (leftover.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    leftover = leftoverResources(before);
  }
  return leftover;
}
