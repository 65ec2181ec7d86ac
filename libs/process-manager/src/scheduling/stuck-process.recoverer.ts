import { Inject, Injectable, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { RoutingTable } from '../definition/routing-table.js';
import type { ProcessInstance } from '../kernel/process-instance.js';
import { ProcessQueries } from '../ports/process-queries.js';
import type { UnclaimableWork } from '../ports/records.js';
import { RESOLVED_OPTIONS } from '../kernel/constants.js';
import type { ResolvedProcessManagerOptions } from '../kernel/options.js';
import { Clock } from '../kernel/clock.js';
import { ProcessRunner } from '../runtime/process-runner.js';
import { ClaimScopes } from './claim-scope.js';
import { PeriodicJob } from './periodic-job.js';
import { CLAIM_LEASE_MS } from './timer.poller.js';

export const RECOVERY_INTERVAL = 'pm:recovery';

/**
 * Due work older than this no longer counts as "something will move the instance": it was claimed
 * and never completed (a hung or crashing delivery renews nothing for this long), or nobody takes it.
 * Several leases long, so that a busy poller's normal lag never reports an instance.
 */
export const OVERDUE_AFTER_MS = 5 * CLAIM_LEASE_MS;

/** One warning per kind, handler and message type of work nobody here takes, per this period. */
const UNCLAIMABLE_WARNING_PERIOD_MS = 10 * 60_000;

const STALL_CANDIDATES = 500;

/**
 * Finds running instances that have been idle longer than their `stuckAfter` with nothing pending
 * (no timer, outbox row or retry, or only such that is long overdue) and applies their `onStuck`
 * policy, once per stall. It also warns, rate-limited, about due work no claim of this app takes
 * (another service's rows, with that service apparently down, or rows nobody handles any more).
 */
@Injectable()
export class StuckProcessRecoverer extends PeriodicJob {
  private readonly warnedAt = new Map<string, number>();

  constructor(
    private readonly store: ProcessQueries,
    private readonly runner: ProcessRunner,
    private readonly routes: RoutingTable,
    private readonly scopes: ClaimScopes,
    private readonly clock: Clock,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedProcessManagerOptions,
    @Optional() schedulerRegistry?: SchedulerRegistry,
  ) {
    super(schedulerRegistry, {
      name: RECOVERY_INTERVAL,
      enabled: options.recovery.enabled,
      intervalMs: options.recovery.intervalMs,
      switchedOffBy: 'recovery.enabled',
      shutdownTimeoutMs: options.shutdownTimeoutMs,
      maxInFlight: STALL_CANDIDATES,
    });
  }

  /** Launches a stall report per stuck instance (each waits in its instance's line); counts the reported. */
  protected async work(): Promise<number> {
    const now = this.clock.now().getTime();
    const overdueSince = new Date(now - OVERDUE_AFTER_MS);
    await this.warnAboutUnclaimable(overdueSince, now);
    const idleSince = new Date(now - this.shortestThreshold());
    const candidates = await this.store.findStalled(
      idleSince,
      overdueSince,
      Math.min(STALL_CANDIDATES, this.capacity),
      this.scopes.current.processTypes,
    );
    for (const instance of candidates) {
      const idleMs = now - instance.updatedAt.getTime();
      if (idleMs >= this.thresholdFor(instance))
        this.launch(instance.id, () => this.report(instance, idleMs));
    }
    return 0;
  }

  private async report(instance: ProcessInstance, idleMs: number): Promise<number> {
    if (!(await this.runner.stall(instance, idleMs))) return 0;
    this.logger.warn(
      `${instance.type} ${instance.id} (${instance.correlationKey}) stalled: idle ${Math.round(idleMs / 1000)}s`,
    );
    return 1;
  }

  private async warnAboutUnclaimable(overdueSince: Date, now: number): Promise<void> {
    const found = await this.store.findUnclaimable(overdueSince, this.scopes.current, 100);
    for (const work of found) {
      const key = [work.kind, work.handler ?? '', work.messageType].join('\u0000');
      if (now - (this.warnedAt.get(key) ?? -Infinity) < UNCLAIMABLE_WARNING_PERIOD_MS) continue;
      this.warnedAt.set(key, now);
      this.logger.warn(describeUnclaimable(work));
    }
  }

  private thresholdFor(instance: ProcessInstance): number {
    const stuckAfter = this.routes.process(instance.type)?.stuckAfterMs;
    return (
      (instance.stateName !== undefined ? stuckAfter?.[instance.stateName] : undefined) ??
      stuckAfter?.default ??
      this.options.recovery.stuckAfterMs
    );
  }

  private shortestThreshold(): number {
    const thresholds = this.routes.processes.flatMap((process) =>
      Object.values(process.stuckAfterMs).filter((ms): ms is number => ms !== undefined),
    );
    return Math.min(this.options.recovery.stuckAfterMs, ...thresholds);
  }
}

function describeUnclaimable({ kind, handler, messageType, count }: UnclaimableWork): string {
  const rows = `At least ${count} ${kind === 'outbox' ? 'outbox row' : kind}(s)`;
  const of =
    kind === 'outbox' ? `${messageType}${handler ? ` of ${handler}` : ''}` : `${handler} / ${messageType}`;
  return (
    `${rows} ${of} due for over ${OVERDUE_AFTER_MS / 60_000} min, and this app takes none: it has no ` +
    `${kind === 'outbox' ? 'class for that message or process' : 'handler for it'}. If another service owns ` +
    `them, it is not running; if nobody does any more, remove the rows or deploy a handler.`
  );
}
