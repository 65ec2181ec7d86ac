interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/** How one kind of commit (steps, stateless reactions) is written alone and in a batch. */
export interface BatchedCommits<T, R> {
  /** One item in its own statement. */
  one(item: T): Promise<R>;
  /** Several items in one statement: each one's result, in order, or the error that item alone failed with. */
  many(items: T[]): Promise<(R | Error)[]>;
  /** What a batch may hold only once: a step's instance (id and key), a reaction's handler and message. */
  keys(item: T): readonly string[];
}

/**
 * Group commit, adaptive like a single committer: an item that finds fewer than `maxConcurrent`
 * statements in flight commits on its own at once (no added latency when traffic is light); items that
 * arrive meanwhile queue and go together in one statement as soon as a statement finishes, so the batch
 * size follows the load with nothing to tune. A key is never twice in one batch. If a batch statement
 * fails as a whole (e.g. a race on the inbox with another app), each of its items is committed on its
 * own, so one bad event never fails or duplicates another.
 */
export class CommitBatcher<T, R> {
  private readonly queue: Pending<T, R>[] = [];
  private running = 0;

  constructor(
    private readonly commits: BatchedCommits<T, R>,
    private readonly maxSize: number,
    /**
     * Statements in flight before items start to queue. Two lets one statement execute while the other
     * waits for its commit to reach the disk; more turn queued items back into small statements, each
     * with its own commit (measured in bench/README.md). 0 sends every item, even a lone one, through
     * the batch statement, one statement at a time: the store contract suite (test/contract) runs that
     * way so that every rule is checked on the batch statements as well.
     */
    private readonly maxConcurrent = 2,
  ) {}

  commit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < Math.max(this.maxConcurrent, 1) && this.queue.length > 0) {
      const batch = this.take();
      this.running++;
      void this.run(batch).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  /** Up to `maxSize` queued items, each key at most once; the rest keep their place. */
  private take(): Pending<T, R>[] {
    const batch: Pending<T, R>[] = [];
    const taken = new Set<string>();
    for (let index = 0; index < this.queue.length && batch.length < this.maxSize;) {
      const pending = this.queue[index]!;
      const keys = this.commits.keys(pending.item);
      if (keys.some((key) => taken.has(key))) {
        index++;
        continue;
      }
      keys.forEach((key) => taken.add(key));
      batch.push(pending);
      this.queue.splice(index, 1);
    }
    return batch;
  }

  private async run(batch: Pending<T, R>[]): Promise<void> {
    if (batch.length === 1 && this.maxConcurrent > 0) return this.alone(batch[0]!);
    let results: (R | Error)[];
    try {
      results = await this.commits.many(batch.map(({ item }) => item));
    } catch {
      await Promise.all(batch.map((pending) => this.alone(pending)));
      return;
    }
    batch.forEach(({ resolve, reject }, index) => {
      const result = results[index]!;
      if (result instanceof Error) reject(result);
      else resolve(result);
    });
  }

  private async alone({ item, resolve, reject }: Pending<T, R>): Promise<void> {
    try {
      resolve(await this.commits.one(item));
    } catch (error) {
      reject(error);
    }
  }
}
