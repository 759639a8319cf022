/**
 * Runs `work` on `items` in order, at most `concurrency` at once, starting each only while
 * `mayStart()` says so. Returns how many were started: they form a prefix of `items`, so the
 * rest can be resumed from that index without repeating any.
 */
export async function runInOrder<T>(
  items: readonly T[],
  concurrency: number,
  mayStart: () => boolean,
  work: (item: T) => Promise<void>,
): Promise<number> {
  let next = 0;
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (!stopped && next < items.length) {
      if (!mayStart()) {
        stopped = true;
        return;
      }
      const item = items[next];
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return next;
}
