/**
 * Coalesces "mark these outbox rows dispatched" writes: while one UPDATE runs, ids queue up and go
 * in the next one, so under load one statement marks many events' messages. A mark that is lost to
 * a crash only means the relay re-sends (at-least-once, receivers dedupe by messageId).
 */
export class DispatchMarker {
  private pending: string[] = [];
  private next: Promise<void> | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly write: (messageIds: string[]) => Promise<void>) {}

  /** Resolves when a write that includes `messageIds` has finished. */
  mark(messageIds: string[]): Promise<void> {
    if (messageIds.length === 0) return Promise.resolve();
    this.pending.push(...messageIds);
    this.next ??= (this.running ?? Promise.resolve()).then(() => this.flush());
    return this.next;
  }

  private async flush(): Promise<void> {
    const ids = this.pending;
    this.pending = [];
    this.next = undefined;
    this.running = this.write(ids).finally(() => (this.running = undefined));
    await this.running;
  }
}
