import { Inject, Injectable, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { RoutingTable } from '../definition/routing-table.js';
import type { ProcessInstance } from '../kernel/process-instance.js';
import { ProcessQueries } from '../ports/process-queries.js';
import { RESOLVED_OPTIONS } from '../kernel/constants.js';
import type { ResolvedProcessManagerOptions } from '../kernel/options.js';
import { Clock } from '../kernel/clock.js';
import { ProcessRunner } from '../runtime/process-runner.js';
import { PeriodicJob } from './periodic-job.js';

export const RECOVERY_INTERVAL = 'pm:recovery';

/**
 * Finds running instances that have been idle longer than their `stuckAfter` with nothing pending
 * (no timer, outbox row or retry) and applies their `onStuck` policy, once per stall.
 */
@Injectable()
export class StuckProcessRecoverer extends PeriodicJob {
  constructor(
    private readonly store: ProcessQueries,
    private readonly runner: ProcessRunner,
    private readonly routes: RoutingTable,
    private readonly clock: Clock,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedProcessManagerOptions,
    @Optional() schedulerRegistry?: SchedulerRegistry,
  ) {
    super(schedulerRegistry, RECOVERY_INTERVAL, options.recovery.enabled, options.recovery.intervalMs);
  }

  protected async work(): Promise<number> {
    const now = this.clock.now().getTime();
    const candidates = await this.store.findStalled(new Date(now - this.shortestThreshold()), 500);
    let reported = 0;
    for (const instance of candidates) {
      const idleMs = now - instance.updatedAt.getTime();
      if (idleMs < this.thresholdFor(instance)) continue;
      if (await this.runner.stall(instance, idleMs)) {
        reported++;
        this.logger.warn(
          `${instance.type} ${instance.id} (${instance.correlationKey}) stalled: idle ${Math.round(idleMs / 1000)}s`,
        );
      }
    }
    return reported;
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
