import type { Decision } from '../engine/decision.js';
import { ConcurrencyConflictError } from '../errors/index.js';
import { instanceKey } from '../runtime/instance-key.js';

interface Pending {
  decision: Decision;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for steps of different instances, adaptive like a single committer: a step that finds
 * fewer than `maxConcurrent` statements in flight commits on its own at once (no added latency when
 * traffic is light); steps that arrive meanwhile queue and go together in one statement as soon as a
 * statement finishes, so the batch size follows the load with nothing to tune. An instance is never twice
 * in one batch. If a batch statement fails as a whole (e.g. a race on the inbox with another app),
 * each of its decisions is committed on its own, so one bad event never fails or duplicates another.
 */
export class CommitBatcher {
  private readonly queue: Pending[] = [];
  private running = 0;

  constructor(
    private readonly commitOne: (decision: Decision) => Promise<void>,
    /** Returns the ids of the instances whose decision was written. */
    private readonly commitMany: (decisions: Decision[]) => Promise<Set<string>>,
    private readonly maxSize: number,
    /**
     * Statements in flight before steps start to queue. Two lets one statement execute while the other
     * waits for its commit to reach the disk; more turn queued steps back into small statements, each
     * with its own commit (measured in bench/README.md). 0 sends every step, even a lone one, through
     * the batch statement, one statement at a time: the store contract suite (test/contract) runs that
     * way so that every rule is checked on BATCH_STEP as well.
     */
    private readonly maxConcurrent = 2,
  ) {}

  commit(decision: Decision): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ decision, resolve, reject });
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

  /** Up to `maxSize` queued decisions, at most one per instance; the rest keep their place. */
  private take(): Pending[] {
    const batch: Pending[] = [];
    const instances = new Set<string>();
    for (let index = 0; index < this.queue.length && batch.length < this.maxSize;) {
      const pending = this.queue[index]!;
      const { id, type, correlationKey } = pending.decision.instance;
      const keys = [id, instanceKey(type, correlationKey)];
      if (keys.some((key) => instances.has(key))) {
        index++;
        continue;
      }
      keys.forEach((key) => instances.add(key));
      batch.push(pending);
      this.queue.splice(index, 1);
    }
    return batch;
  }

  private async run(batch: Pending[]): Promise<void> {
    if (batch.length === 1 && this.maxConcurrent > 0) {
      return settle(batch[0]!, () => this.commitOne(batch[0]!.decision));
    }
    let written: Set<string>;
    try {
      written = await this.commitMany(batch.map(({ decision }) => decision));
    } catch {
      await Promise.all(batch.map((pending) => settle(pending, () => this.commitOne(pending.decision))));
      return;
    }
    for (const { decision, resolve, reject } of batch) {
      if (written.has(decision.instance.id)) resolve();
      else reject(new ConcurrencyConflictError(decision.instance.id));
    }
  }
}

async function settle(pending: Pending, work: () => Promise<void>): Promise<void> {
  try {
    await work();
    pending.resolve();
  } catch (error) {
    pending.reject(error);
  }
}
