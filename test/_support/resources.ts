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
