import type { Decision } from '../engine/decision.js';
import type { ProcessStatus } from '../engine/process-context.js';
import type { ProcessHistoryEntry, ProcessInstance } from '../engine/process-instance.js';
import type { MessageMetadata } from '../messaging/message-metadata.js';
import type { MessageKind } from '../messaging/message-type.registry.js';

export interface LoadQuery {
  type: string;
  /** Load this very instance (timers, retries) instead of correlating. */
  processId?: string;
  /** Correlation value: the instance's key, or an associated value. */
  correlationKey: string;
  /** Restricts association lookups to this key name. */
  associationKey: string | undefined;
  messageId: string;
}

export interface Loaded {
  /** The instance holding the key (running, compensating, or failed and not acknowledged). */
  instance: ProcessInstance | null;
  /** An instance of this type already handled `messageId` (inbox). */
  handled: boolean;
}

export interface ListQuery {
  type?: string;
  status?: ProcessStatus | ProcessStatus[];
  limit?: number;
  cursor?: string;
}

/** A row of the outbox as the dispatcher and relay see it. */
export interface OutboxRecord {
  processId: string | null;
  kind: MessageKind;
  type: string;
  payload: Record<string, unknown>;
  metadata: MessageMetadata;
}

/** An outbox row claimed by the relay. */
export interface ClaimedOutboxRecord extends OutboxRecord {
  attempts: number;
}

/** A due timer, claimed by one poller. */
export interface TimerRecord {
  id: string;
  processId: string;
  processType: string;
  name: string | undefined;
  dueAt: Date;
  messageType: string;
  payload: Record<string, unknown>;
}

/** A failed delivery: retried with backoff while `retrying`, parked when `dead`. */
export interface DeadLetter {
  id: string;
  /** Process type, or `Class.method` of a stateless handler. */
  handler: string;
  processId: string | undefined;
  correlationKey: string | undefined;
  messageType: string;
  messageId: string;
  payload: Record<string, unknown>;
  metadata: MessageMetadata;
  status: 'retrying' | 'dead';
  attempts: number;
  error: string;
  stack: string | undefined;
  firstFailedAt: Date;
  lastFailedAt: Date;
  nextAttemptAt: Date | undefined;
}

export interface DeadLetterQuery {
  processId?: string;
  /** One dead letter by its id. */
  id?: string;
  limit?: number;
}

/**
 * The persistence port. Implementations give the same semantics: a Decision commits whole or not at
 * all, guarded by the instance version, the (type, key) slot and the inbox; a lost race is a
 * `ConcurrencyConflictError`.
 */
export abstract class ProcessStore {
  abstract load(query: LoadQuery): Promise<Loaded>;
  /** Commits a Decision atomically; throws `ConcurrencyConflictError` when another writer won. */
  abstract commit(decision: Decision): Promise<void>;
  /**
   * Writes messages to the outbox outside any process step (the app's `Outbox`), inside the
   * caller's transaction when one is given (a TypeORM `EntityManager` for the TypeORM store).
   */
  abstract enqueue(records: OutboxRecord[], at: Date, transaction?: unknown): Promise<void>;
  /** A stateless handler's step: inbox mark + returned messages, atomically; false for a duplicate. */
  abstract commitReaction(
    handler: string,
    messageId: string,
    records: OutboxRecord[],
    at: Date,
  ): Promise<boolean>;
  abstract hasHandled(handler: string, messageId: string): Promise<boolean>;
  abstract markDispatched(messageIds: string[], at: Date): Promise<void>;
  /** Records a failed send; `retryAt` null means attempts ran out and the relay leaves the row. */
  abstract markDispatchFailed(
    messageId: string,
    error: string,
    retryAt: Date | null,
    now: Date,
  ): Promise<void>;
  abstract claimOutbox(now: Date, leaseUntil: Date, limit: number): Promise<ClaimedOutboxRecord[]>;

  abstract claimDueTimers(now: Date, leaseUntil: Date, limit: number): Promise<TimerRecord[]>;
  abstract deleteTimer(timerId: string): Promise<void>;

  /** Attempts so far of a failed delivery (0 when it never failed). */
  abstract failureAttempts(handler: string, messageId: string): Promise<number>;
  /** Inserts or updates (by handler + messageId) a failed delivery. */
  abstract recordFailure(failure: DeadLetter): Promise<void>;
  abstract resolveFailure(handler: string, messageId: string): Promise<void>;
  abstract claimDueRetries(now: Date, leaseUntil: Date, limit: number): Promise<DeadLetter[]>;
  abstract deadLetters(query: DeadLetterQuery): Promise<DeadLetter[]>;
  abstract setLastError(processId: string, error: string): Promise<void>;
  /** Clears `lastError` if it is still `error` (a retried dead letter went through). */
  abstract clearLastError(processId: string, error: string): Promise<void>;

  /** Live instances idle since `idleSince`, not reported yet, with no timer, outbox row or retry pending. */
  abstract findStalled(idleSince: Date, limit: number): Promise<ProcessInstance[]>;
  /** Makes the commands of the last handled step due for dispatch again; returns how many. */
  abstract resendLastStep(processId: string, now: Date): Promise<number>;

  abstract get(processId: string): Promise<ProcessInstance | null>;
  abstract find(type: string, correlationKey: string): Promise<ProcessInstance | null>;
  abstract list(query: ListQuery): Promise<{ items: ProcessInstance[]; nextCursor?: string }>;
  abstract history(processId: string): Promise<ProcessHistoryEntry[]>;
  /** Frees the key of a failed instance. Returns false when it is not failed-and-unacknowledged. */
  abstract acknowledgeFailure(processId: string, at: Date): Promise<boolean>;
  /** Ends a live instance as cancelled (with a history row) and drops its timers. False when not live. */
  abstract cancel(processId: string, reason: string | undefined, at: Date): Promise<boolean>;
}
