import { Inject, Injectable, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { MessageTypeRegistry } from '../definition/message-type.registry.js';
import { OutboxDispatcher } from '../runtime/outbox.dispatcher.js';
import { OutboxStore } from '../ports/outbox-store.js';
import { ProcessTelemetry } from '../telemetry/process-telemetry.js';
import { RESOLVED_OPTIONS } from '../kernel/constants.js';
import type { ResolvedProcessManagerOptions } from '../kernel/options.js';
import { Clock } from '../kernel/clock.js';
import { ClaimScopes } from './claim-scope.js';
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
    private readonly registry: MessageTypeRegistry,
    private readonly scopes: ClaimScopes,
    private readonly clock: Clock,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedProcessManagerOptions,
    private readonly telemetry: ProcessTelemetry,
    @Optional() schedulerRegistry?: SchedulerRegistry,
  ) {
    super(schedulerRegistry, {
      name: OUTBOX_RELAY_INTERVAL,
      enabled: options.outbox.enabled,
      intervalMs: options.outbox.relayIntervalMs,
      switchedOffBy: 'outbox.enabled',
      shutdownTimeoutMs: options.shutdownTimeoutMs,
    });
  }

  protected async work(): Promise<number> {
    const now = this.clock.now();
    const rows = await this.store.claimOutbox(
      now,
      new Date(now.getTime() + CLAIM_LEASE_MS),
      this.options.outbox.batchSize,
      this.scopes.current,
    );
    if (rows.length === 0) return 0;
    // The dispatcher sends different instances' rows side by side, so one hung receiver holds up only its own.
    await this.telemetry.relay(rows.length, () =>
      this.dispatcher.dispatch(
        rows.map((row) => ({
          ...row,
          message: this.registry.fromPayload(row.type, row.payload, row.metadata),
        })),
      ),
    );
    return rows.length;
  }
}
