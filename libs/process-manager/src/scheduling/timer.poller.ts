import { Inject, Injectable, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { FailureStore } from '../ports/failure-store.js';
import { TimerStore } from '../ports/timer-store.js';
import { RESOLVED_OPTIONS } from '../kernel/constants.js';
import type { ResolvedProcessManagerOptions } from '../kernel/options.js';
import { Clock } from '../kernel/clock.js';
import { ProcessRunner } from '../runtime/process-runner.js';
import { PeriodicJob } from './periodic-job.js';

export const TIMER_POLL_INTERVAL = 'pm:timer-poll';

/** A claim outlives any sane delivery; a crashed poller's timers come back after it. */
const CLAIM_LEASE_MS = 60_000;

/** Keeps one tick from running forever under a flood of due timers; the next tick continues. */
const MAX_BATCHES_PER_TICK = 100;

/**
 * Delivers what has fallen due: timers (to their own instance) and handler retries. Claims are
 * `SKIP LOCKED` leases, and each delivery is deduped by its id, so a timer takes effect once however
 * many app instances poll, and one that fell due while every app was down fires at the next tick.
 */
@Injectable()
export class TimerPoller extends PeriodicJob {
  constructor(
    private readonly timers: TimerStore,
    private readonly failures: FailureStore,
    private readonly runner: ProcessRunner,
    private readonly clock: Clock,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedProcessManagerOptions,
    @Optional() schedulerRegistry?: SchedulerRegistry,
  ) {
    super(schedulerRegistry, TIMER_POLL_INTERVAL, options.timers.enabled, options.timers.pollIntervalMs);
  }

  /** Drains what is due: batch after batch while batches come back full (bounded per tick). */
  protected async work(): Promise<number> {
    let delivered = 0;
    for (let round = 0; round < MAX_BATCHES_PER_TICK; round++) {
      const now = this.clock.now();
      const leaseUntil = new Date(now.getTime() + CLAIM_LEASE_MS);
      const { batchSize } = this.options.timers;
      const timers = await this.timers.claimDueTimers(now, leaseUntil, batchSize);
      await Promise.all(timers.map((timer) => this.runner.deliverTimer(timer)));
      const retries = await this.failures.claimDueRetries(now, leaseUntil, batchSize);
      // In order, so that retried deliveries of one instance keep their sequence.
      for (const retry of retries) await this.runner.redeliver(retry);
      delivered += timers.length + retries.length;
      if (timers.length < batchSize && retries.length < batchSize) break;
    }
    return delivered;
  }
}
