import { Inject, Injectable, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { RESOLVED_OPTIONS } from '../kernel/constants.js';
import type { ResolvedProcessManagerOptions } from '../kernel/options.js';
import { Clock } from '../kernel/clock.js';
import { describeError } from '../kernel/describe-error.js';
import { RetentionStore } from '../ports/retention-store.js';
import { PeriodicJob } from './periodic-job.js';

export const RETENTION_INTERVAL = 'pm:retention';

/**
 * Rows per delete statement: each statement is its own short transaction, so no lock is held long.
 * An instance takes its history rows with it, hence fewer per statement.
 */
const ROWS_PER_STATEMENT = { rows: 1_000, processes: 100 } as const;

/**
 * Statements per kind of row and round. A round deletes at most 50,000 rows of each kind (5,000
 * instances) and leaves the rest to the next round; app instances running the job together each take
 * their own share (`SKIP LOCKED`), so the job keeps up with more traffic as more instances run it.
 */
const STATEMENTS_PER_ROUND = 50;

interface Sweep {
  what: string;
  window: number | false;
  rowsPerStatement: number;
  delete(before: Date, limit: number): Promise<number>;
}

/**
 * Deletes, every `retention.intervalMs`, what the library no longer needs: inbox marks older than the
 * duplicate window, dispatched outbox rows, resolved dead letters and (when chosen) finished instances
 * with their history. Small batches that skip rows others hold: it never waits on a step, a claim or
 * another app instance's retention, and never makes them wait for long.
 */
@Injectable()
export class RetentionJob extends PeriodicJob {
  private readonly sweeps: Sweep[];
  private stopping = false;

  constructor(
    store: RetentionStore,
    private readonly clock: Clock,
    @Inject(RESOLVED_OPTIONS) options: ResolvedProcessManagerOptions,
    @Optional() schedulerRegistry?: SchedulerRegistry,
  ) {
    super(schedulerRegistry, {
      name: RETENTION_INTERVAL,
      enabled: options.retention.enabled,
      intervalMs: options.retention.intervalMs,
      switchedOffBy: 'retention.enabled',
      shutdownTimeoutMs: options.shutdownTimeoutMs,
    });
    const { inbox, dispatchedOutbox, resolvedDeadLetters, finishedProcesses } = options.retention;
    const { rows, processes } = ROWS_PER_STATEMENT;
    this.sweeps = [
      {
        what: 'inbox marks',
        window: inbox,
        rowsPerStatement: rows,
        delete: (b, n) => store.deleteInboxMarks(b, n),
      },
      {
        what: 'dispatched outbox rows',
        window: dispatchedOutbox,
        rowsPerStatement: rows,
        delete: (b, n) => store.deleteDispatchedOutbox(b, n),
      },
      {
        what: 'resolved dead letters',
        window: resolvedDeadLetters,
        rowsPerStatement: rows,
        delete: (b, n) => store.deleteResolvedDeadLetters(b, n),
      },
      {
        what: 'finished instances',
        window: finishedProcesses,
        rowsPerStatement: processes,
        delete: (b, n) => store.deleteFinishedProcesses(b, n),
      },
    ];
  }

  /** Ends the round in progress after its current statement, so shutdown waits for one statement at most. */
  override async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await super.beforeApplicationShutdown();
  }

  /** One round: each kind of row in turn, batch after batch; returns how many rows it deleted. */
  protected async work(): Promise<number> {
    const now = this.clock.now().getTime();
    let deleted = 0;
    for (const sweep of this.sweeps) {
      if (sweep.window === false || this.stopping) continue;
      deleted += await this.sweep(sweep, new Date(now - sweep.window));
    }
    return deleted;
  }

  /** A failing kind is logged and the others still run. */
  private async sweep(sweep: Sweep, before: Date): Promise<number> {
    let deleted = 0;
    try {
      for (let statement = 0; statement < STATEMENTS_PER_ROUND && !this.stopping; statement++) {
        const count = await sweep.delete(before, sweep.rowsPerStatement);
        deleted += count;
        if (count < sweep.rowsPerStatement) {
          if (deleted > 0) this.logger.debug(`${RETENTION_INTERVAL}: deleted ${deleted} ${sweep.what}`);
          return deleted;
        }
      }
      this.logger.log(
        `${RETENTION_INTERVAL}: deleted ${deleted} ${sweep.what} older than ${before.toISOString()}; ` +
          `more remain, the next round goes on`,
      );
    } catch (error) {
      this.logger.error(
        `${RETENTION_INTERVAL}: deleting ${sweep.what} failed after ${deleted}: ${describeError(error)}`,
      );
    }
    return deleted;
  }
}
