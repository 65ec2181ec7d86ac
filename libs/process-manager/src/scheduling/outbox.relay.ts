import { Inject, Injectable, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { MessageTypeRegistry } from '../definition/message-type.registry.js';
import { OutboxDispatcher } from '../runtime/outbox.dispatcher.js';
import { OutboxStore } from '../ports/outbox-store.js';
import { RESOLVED_OPTIONS } from '../kernel/constants.js';
import type { ResolvedProcessManagerOptions } from '../kernel/options.js';
import { Clock } from '../kernel/clock.js';
import { ProcessRunner } from '../runtime/process-runner.js';
import { PeriodicJob } from './periodic-job.js';

export const OUTBOX_RELAY_INTERVAL = 'pm:outbox-relay';

const CLAIM_LEASE_MS = 60_000;

/**
 * Dispatches outbox rows the fast path did not: left by a crash between commit and dispatch, or
 * whose send threw (after their backoff). Rows are leased with `SKIP LOCKED`, so two app instances
 * never send one row at the same moment.
 */
@Injectable()
export class OutboxRelay extends PeriodicJob {
  constructor(
    private readonly store: OutboxStore,
    private readonly dispatcher: OutboxDispatcher,
    private readonly runner: ProcessRunner,
    private readonly registry: MessageTypeRegistry,
    private readonly clock: Clock,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedProcessManagerOptions,
    @Optional() schedulerRegistry?: SchedulerRegistry,
  ) {
    super(schedulerRegistry, OUTBOX_RELAY_INTERVAL, options.outbox.enabled, options.outbox.relayIntervalMs);
  }

  protected async work(): Promise<number> {
    const now = this.clock.now();
    const rows = await this.store.claimOutbox(
      now,
      new Date(now.getTime() + CLAIM_LEASE_MS),
      this.options.outbox.batchSize,
    );
    const exhausted = await this.dispatcher.dispatch(
      rows.map((row) => ({
        ...row,
        message: this.registry.fromPayload(row.type, row.payload, row.metadata),
      })),
    );
    await this.runner.notifyDispatchFailures(exhausted);
    return rows.length;
  }
}
