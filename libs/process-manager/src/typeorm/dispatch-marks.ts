/**
 * How long "these outbox rows were dispatched" waits for a step statement to ride on before it is
 * written on its own, when steps are flowing (one went by within this time). The fast path's lease
 * (DISPATCH_LEASE_MS, 30 s) keeps the relay off the rows meanwhile, so waiting costs nothing but these
 * few milliseconds before `markDispatched()` resolves; when no step went by, marks are written at once.
 */
export const MARK_LINGER_MS = 5;

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** The marks one step statement carries: its ids, their time, and how to tell their callers. */
export interface CarriedMarks {
  ids: string[];
  at: Date | null;
  /** The statement committed: the marks are written. */
  written(): void;
  /** The statement failed: the marks are written on their own instead, at once. */
  returned(): void;
}

const NOTHING_CARRIED: CarriedMarks = { ids: [], at: null, written: () => {}, returned: () => {} };

/**
 * Dispatched marks waiting for a ride. Under steady traffic every step statement also marks the
 * messages dispatched since the previous one, so a step costs one transaction instead of two; when
 * traffic is sparse (no step within MARK_LINGER_MS), or the app shuts down, marks are written by
 * themselves.
 */
export class PendingDispatchMarks {
  private ids: string[] = [];
  private at: Date | null = null;
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lingering = true;
  /** When a step statement last started or committed (ms, monotonic). */
  private lastStepAt = -Infinity;

  constructor(private readonly writeAlone: (ids: string[], at: Date) => Promise<void>) {}

  /** Resolves once a statement that marks `ids` has committed; rejects if writing them alone failed. */
  add(ids: readonly string[], at: Date): Promise<void> {
    this.ids.push(...ids);
    if (!this.at || at > this.at) this.at = at;
    const written = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    const stepsFlowing = performance.now() - this.lastStepAt < MARK_LINGER_MS;
    if (!this.lingering || !stepsFlowing) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), MARK_LINGER_MS);
    return written;
  }

  /** Hands every waiting mark to a step statement about to be sent. */
  carry(): CarriedMarks {
    this.lastStepAt = performance.now();
    if (this.ids.length === 0) return NOTHING_CARRIED;
    const { ids, at, waiters } = this.takeAll();
    return {
      ids,
      at,
      written: () => {
        this.lastStepAt = performance.now();
        waiters.forEach((waiter) => waiter.resolve());
      },
      returned: () => {
        this.ids.push(...ids);
        if (!this.at || (at && at > this.at)) this.at = at;
        this.waiters.push(...waiters);
        void this.flush();
      },
    };
  }

  /** From now on marks are written at once (the pool closes after shutdown). */
  async stopLingering(): Promise<void> {
    this.lingering = false;
    await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.ids.length === 0) return;
    const { ids, at, waiters } = this.takeAll();
    try {
      await this.writeAlone(ids, at!);
      waiters.forEach((waiter) => waiter.resolve());
    } catch (error) {
      waiters.forEach((waiter) => waiter.reject(error));
    }
  }

  private takeAll(): { ids: string[]; at: Date | null; waiters: Waiter[] } {
    clearTimeout(this.timer);
    this.timer = undefined;
    const taken = { ids: this.ids, at: this.at, waiters: this.waiters };
    this.ids = [];
    this.at = null;
    this.waiters = [];
    return taken;
  }
}
