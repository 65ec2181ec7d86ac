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

export const ABANDONED = Symbol('abandoned');

/**
 * Ends waits at shutdown. Each wait registers its own callback and drops it once it settles; racing
 * every wait against one long-lived promise instead would attach a reaction to that promise per wait,
 * keeping every settled wait reachable until shutdown (memory that grows with every message).
 */
export class ShutdownSignal {
  private readonly waits = new Set<() => void>();
  private fired = false;

  /** Settles like `work`, or resolves to ABANDONED once the signal fired. */
  orAbandoned<T>(work: Promise<T>): Promise<T | typeof ABANDONED> {
    if (this.fired) return Promise.resolve(ABANDONED);
    return new Promise((resolve, reject) => {
      const abandon = () => resolve(ABANDONED);
      this.waits.add(abandon);
      work.then(
        (value) => {
          this.waits.delete(abandon);
          resolve(value);
        },
        (error: unknown) => {
          this.waits.delete(abandon);
          reject(error);
        },
      );
    });
  }

  /** Waits still registered: only those whose work has not settled. */
  get pending(): number {
    return this.waits.size;
  }

  fire(): void {
    this.fired = true;
    for (const abandon of this.waits) abandon();
    this.waits.clear();
  }
}
