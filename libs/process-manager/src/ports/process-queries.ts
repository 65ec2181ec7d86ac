import type { ProcessHistoryEntry, ProcessInstance } from '../kernel/process-instance.js';
import type { ActiveCount, ClaimScope, ListQuery, UnclaimableWork } from './records.js';

/** Read side for operations and recovery. */
export abstract class ProcessQueries {
  abstract get(processId: string): Promise<ProcessInstance | null>;
  /** The instances with these ids, in one read (unknown ids and ids that are no uuid are left out). */
  abstract getMany(processIds: readonly string[]): Promise<ProcessInstance[]>;
  abstract find(type: string, correlationKey: string): Promise<ProcessInstance | null>;
  abstract list(query: ListQuery): Promise<{ items: ProcessInstance[]; nextCursor?: string }>;
  abstract history(processId: string): Promise<ProcessHistoryEntry[]>;
  /**
   * Instances holding their key (running, compensating, failed and unacknowledged) per type and status;
   * reads only those rows (the partial index of the active keys), never the whole table.
   */
  abstract countActive(): Promise<ActiveCount[]>;
  /** Live instances (running, compensating) per type and named state; those without one are left out. */
  abstract countLiveByState(): Promise<{ type: string; stateName: string; count: number }[]>;
  /**
   * Live instances idle since `idleSince`, not reported yet, with nothing pending that would move them:
   * a timer, outbox row or retry counts as pending unless it has been due since before `overdueSince`
   * (claimed and never completed, or taken by nobody). With `types`, only instances of those process
   * types (the ones this app runs).
   */
  abstract findStalled(
    idleSince: Date,
    overdueSince: Date,
    limit: number,
    types?: readonly string[],
  ): Promise<ProcessInstance[]>;
  /** Timers, retries and outbox rows due since before `overdueSince` that no claim within `scope` takes. */
  abstract findUnclaimable(overdueSince: Date, scope: ClaimScope, limit: number): Promise<UnclaimableWork[]>;
}
