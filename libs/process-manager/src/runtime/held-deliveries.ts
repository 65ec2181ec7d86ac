import { Logger } from '@nestjs/common';
import { DeliveryNotRecordedError, PendingLimitReachedError } from '../errors/index.js';
import { backoffDelay } from '../kernel/backoff.js';
import { describeError } from '../kernel/describe-error.js';
import type { ResolvedProcessManagerOptions } from '../kernel/options.js';
import { escapeText } from './failure-record.js';

/** A failed delivery that nothing durable holds: its last error and how to run it again. */
interface Held {
  error: DeliveryNotRecordedError;
  retry: () => Promise<unknown>;
}

/** Held deliveries re-run together once the oldest one went through again. */
const BATCH = 32;

/**
 * EventBus events whose delivery failed while its failure could not be recorded either (the database
 * is unreachable): the EventBus has no sender to redeliver them, so they wait here, bounded by
 * `retry.pendingLimit`, and are re-run with backoff — the oldest first as the probe, the rest once it
 * went through. The log gets one line when the first is held and one when the last went through, with
 * the counts; each held delivery is named at debug level, each dropped one at error level.
 */
export class HeldDeliveries {
  private readonly logger = new Logger(HeldDeliveries.name);
  private readonly held: Held[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failedProbes = 0;
  private closed = false;
  /** Held deliveries taken out of `held` while they re-run: they still count against the limit. */
  private rerunning = 0;
  private outage: { since: number; held: number; dropped: number } | undefined;

  constructor(
    private readonly retry: ResolvedProcessManagerOptions['retry'],
    private readonly onDropped: (cause: object, error: PendingLimitReachedError) => void,
  ) {}

  /**
   * Keeps the delivery of `event` that failed with `error`, to be re-run by `retry()`; anything but a
   * DeliveryNotRecordedError is rethrown.
   */
  hold(error: unknown, event: object, retry: () => Promise<unknown>): void {
    if (!(error instanceof DeliveryNotRecordedError)) throw error;
    if (this.closed) {
      this.logger.error(`Shutdown: lost, as nothing durable holds it: ${error.message}`);
      return;
    }
    const outage = this.outage ?? this.begin(error);
    if (this.held.length + this.rerunning >= this.retry.pendingLimit) {
      outage.dropped++;
      const dropped = new PendingLimitReachedError(
        error.delivery,
        this.retry.pendingLimit,
        error.cause,
        escapeText(describeError(error.cause)),
      );
      this.logger.error(dropped.message);
      this.onDropped(event, dropped);
      return;
    }
    if (outage.held > 0) this.logger.debug(`Holding ${error.message}`);
    outage.held++;
    this.held.push({ error, retry });
    this.schedule();
  }

  /** One more round for what is held now; then whatever is left is logged as lost (shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    if (this.held.length > 0) await this.flush();
    for (const { error } of this.held.splice(0)) {
      this.logger.error(`Shutdown: lost, as nothing durable holds it: ${error.message}`);
    }
  }

  private begin(first: DeliveryNotRecordedError): NonNullable<HeldDeliveries['outage']> {
    this.outage = { since: Date.now(), held: 0, dropped: 0 };
    this.logger.error(
      `The failures of deliveries cannot be recorded: holding them in memory (at most ` +
        `${this.retry.pendingLimit}, retry.pendingLimit) and retrying with backoff. First: ${first.message}`,
    );
    return this.outage;
  }

  private schedule(): void {
    if (this.timer || this.running || this.closed || this.held.length === 0) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.flush();
      },
      backoffDelay(this.failedProbes + 1, this.retry),
    );
    this.timer.unref();
  }

  private flush(): Promise<void> {
    this.running ??= this.rerun().finally(() => {
      this.running = undefined;
      if (this.held.length > 0) this.schedule();
      else this.end();
    });
    return this.running;
  }

  /** The oldest first, alone: while it still fails nothing else is tried; then the rest in batches. */
  private async rerun(): Promise<void> {
    let size = 1;
    while (this.held.length > 0) {
      const batch = this.held.splice(0, size);
      this.rerunning = batch.length;
      const results = await Promise.allSettled(batch.map((held) => held.retry())).finally(
        () => (this.rerunning = 0),
      );
      const failed = batch.flatMap((held, index) => {
        const result = results[index]!;
        if (result.status === 'fulfilled') return [];
        if (result.reason instanceof DeliveryNotRecordedError) return [{ ...held, error: result.reason }];
        this.logger.error(`Re-running a held delivery threw: ${describeError(result.reason)}`);
        return [];
      });
      if (failed.length > 0) {
        this.held.unshift(...failed);
        this.failedProbes++;
        this.logger.debug(
          `Held deliveries still fail (${this.held.length} held): ${failed[0]!.error.message}`,
        );
        return;
      }
      this.failedProbes = 0;
      size = BATCH;
    }
  }

  private end(): void {
    const outage = this.outage;
    if (!outage) return;
    this.outage = undefined;
    const seconds = Math.round((Date.now() - outage.since) / 1000);
    const dropped = outage.dropped > 0 ? `, ${outage.dropped} dropped (see the errors above)` : '';
    this.logger.log(
      `Failures can be recorded again after ${seconds} s: ${outage.held} held deliveries re-ran${dropped}.`,
    );
  }
}
