import type { MessageKind } from '../kernel/outgoing-message.js';
import type { FailureRecord, TimerRecord } from './records.js';

/** Which dead letters a bulk retry takes: every given field must match. */
export interface DeadLetterFilter {
  /** The handler: a process type, or `Class.method` of a stateless handler. */
  type?: string;
  messageType?: string;
  /** A case-insensitive part of the error text. */
  errorContains?: string;
}

/** An outbox row of an instance not sent yet: waiting for the relay, or given up on (`failedAt`). */
export interface PendingOutboxRow {
  id: string;
  kind: MessageKind;
  type: string;
  payload: Record<string, unknown>;
  createdAt: Date;
  attempts: number;
  lastError?: string;
  failedAt?: Date;
}

/** What an operator's repair replaces of an instance: its state, its named state, or both. */
export interface StatePatch {
  state?: Record<string, unknown>;
  stateName?: string;
}

/**
 * Operators' repairs of one instance outside any event. Each write is one atomic change of a live
 * instance: the repair, a new version (a step in flight re-runs on it) and a `repaired` history row with
 * `note`. Each returns false (changing nothing) when the instance is not live or the timer is not there.
 */
export abstract class OperatorStore {
  /** The instance's timers, soonest first. */
  abstract pendingTimers(processId: string): Promise<TimerRecord[]>;
  abstract rescheduleTimer(
    processId: string,
    name: string,
    dueAt: Date,
    note: string,
    at: Date,
  ): Promise<boolean>;
  abstract cancelTimer(processId: string, name: string, note: string, at: Date): Promise<boolean>;
  /**
   * Makes a timer due at `at` and leases it until `leaseUntil` for the caller to deliver; undefined when
   * it is not there or another poller holds it.
   */
  abstract claimTimerNow(
    processId: string,
    name: string,
    leaseUntil: Date,
    note: string,
    at: Date,
  ): Promise<TimerRecord | undefined>;
  /** Replaces state and/or named state if the instance is still at `expectedVersion`. */
  abstract repairState(
    processId: string,
    expectedVersion: number,
    patch: StatePatch,
    note: string,
    at: Date,
  ): Promise<boolean>;
  /** The instance's outbox rows not dispatched, oldest first. */
  abstract pendingOutbox(processId: string): Promise<PendingOutboxRow[]>;
  /** Open dead letters matching `filter`, in (firstFailedAt, id) order, after `after`. */
  abstract matchingDeadLetters(
    filter: DeadLetterFilter,
    limit: number,
    after?: { firstFailedAt: Date; id: string },
  ): Promise<FailureRecord[]>;
  abstract countMatchingDeadLetters(filter: DeadLetterFilter): Promise<number>;
}
