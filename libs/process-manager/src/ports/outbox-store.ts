import type { ClaimedOutboxRecord, ClaimScope, OutboxRecord } from './records.js';

/** The outbox as the dispatcher, the relay and the app's own `Outbox` use it. */
export abstract class OutboxStore {
  /**
   * Writes messages to the outbox outside any process step, inside the caller's transaction when one
   * is given (a TypeORM `EntityManager` for the TypeORM store).
   */
  abstract enqueue(records: OutboxRecord[], at: Date, transaction?: unknown): Promise<void>;
  abstract markDispatched(messageIds: string[], at: Date): Promise<void>;
  /** Records a failed send; `retryAt` null means attempts ran out and the relay leaves the row. */
  abstract markDispatchFailed(
    messageId: string,
    error: string,
    retryAt: Date | null,
    now: Date,
  ): Promise<void>;
  /**
   * Leases undispatched rows that are due, the earliest available (then created) taking precedence
   * under `limit`, returned in no particular order; rows leased by another claimer are skipped,
   * and so are rows outside `scope`: of a type this app cannot rebuild, or written by a process type it
   * does not run. No scope: every row.
   */
  abstract claimOutbox(
    now: Date,
    leaseUntil: Date,
    limit: number,
    scope?: ClaimScope,
  ): Promise<ClaimedOutboxRecord[]>;
}
