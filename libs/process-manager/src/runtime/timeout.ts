/**
 * `work`, or `onTimeout()`'s error once `ms` have passed (real time: it bounds a hang, not virtual
 * time). `work` itself keeps running; only the wait for it ends. A non-finite or non-positive `ms` waits
 * for as long as `work` takes.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  if (!Number.isFinite(ms) || ms <= 0) return work;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/**
 * Waits for `work` for at most `ms` (real time): true when it settled in time, false when the wait
 * lapsed. Never rejects — for shutdown hooks, which wait bounded and then log what they leave.
 */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const lapsed = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = work.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, lapsed]);
  } finally {
    clearTimeout(timer);
  }
}
