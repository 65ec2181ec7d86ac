/** Most ids a failed write hands on to the next one; beyond that the relay re-sends them. */
const MAX_CARRIED_IDS = 10_000;

/**
 * Coalesces "mark these outbox rows dispatched" writes: while one UPDATE runs, ids queue up and go
 * in the next one, so under load one statement marks many events' messages.
 *
 * Marking is bookkeeping, so it never fails a caller and one failed write never stops later ones:
 * `mark()` resolves once a write that included its ids has finished, whether it succeeded or not.
 * The ids of a failed write go once more with the next write; if that fails too they are left to the
 * relay, which re-sends unmarked rows (at-least-once, receivers dedupe by messageId). Ids are carried
 * only once so that a write which always fails cannot poison the writes after it.
 */
export class DispatchMarker {
  private queued: string[] = [];
  private waiting: (() => void)[] = [];
  /** Ids of the last failed write, retried with the next one. */
  private carried: string[] = [];
  private writing = false;

  constructor(
    private readonly write: (messageIds: string[]) => Promise<void>,
    private readonly onWriteFailed: (error: unknown, messageIds: readonly string[], retried: boolean) => void,
  ) {}

  /** Resolves when a write that includes `messageIds` has finished (never rejects). */
  mark(messageIds: readonly string[]): Promise<void> {
    if (messageIds.length === 0) return Promise.resolve();
    this.queued.push(...messageIds);
    const written = new Promise<void>((resolve) => this.waiting.push(resolve));
    if (!this.writing) void this.drain();
    return written;
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queued.length > 0) {
      const fresh = this.queued;
      const waiting = this.waiting;
      const retrying = this.carried;
      this.queued = [];
      this.waiting = [];
      this.carried = [];
      try {
        await this.write([...retrying, ...fresh]);
      } catch (error) {
        this.onWriteFailed(error, [...retrying, ...fresh], retrying.length > 0);
        // Only the fresh ids get a second chance: the carried ones have failed twice now.
        this.carried = fresh.slice(0, MAX_CARRIED_IDS);
      }
      for (const resolve of waiting) resolve();
    }
    this.writing = false;
  }
}
