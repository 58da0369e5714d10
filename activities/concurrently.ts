/**
 * Calls to the Temporal server that one local activity makes for many workflows, a bounded number at a time: enough
 * to overlap the round trips (hundreds in sequence would outlast the activity's timeout on a busy server), few enough
 * not to flood it.
 */
export const TEMPORAL_CALL_CONCURRENCY = 32;

/** `fn` over every item, at most `limit` at once; the results in the items' order. */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  fn: (item: T) => Promise<R>,
  limit = TEMPORAL_CALL_CONCURRENCY,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
