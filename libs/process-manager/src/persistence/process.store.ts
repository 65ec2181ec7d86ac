import type { Decision } from '../engine/decision.js';
import type { ProcessStatus } from '../engine/process-context.js';
import type { ProcessHistoryEntry, ProcessInstance } from '../engine/process-instance.js';
import type { MessageMetadata } from '../messaging/message-metadata.js';
import type { MessageKind } from '../messaging/message-type.registry.js';

export interface LoadQuery {
  type: string;
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

/**
 * The persistence port. Implementations give the same semantics: a Decision commits whole or not at
 * all, guarded by the instance version, the (type, key) slot and the inbox; a lost race is a
 * `ConcurrencyConflictError`.
 */
export abstract class ProcessStore {
  abstract load(query: LoadQuery): Promise<Loaded>;
  /** Commits a Decision atomically; throws `ConcurrencyConflictError` when another writer won. */
  abstract commit(decision: Decision): Promise<void>;
  /** Writes messages to the outbox outside any process (stateless handlers, the app's `Outbox`). */
  abstract enqueue(records: OutboxRecord[]): Promise<void>;
  abstract markDispatched(messageIds: string[], at: Date): Promise<void>;
  abstract markDispatchFailed(messageId: string, error: string): Promise<void>;

  abstract get(processId: string): Promise<ProcessInstance | null>;
  abstract find(type: string, correlationKey: string): Promise<ProcessInstance | null>;
  abstract list(query: ListQuery): Promise<{ items: ProcessInstance[]; nextCursor?: string }>;
  abstract history(processId: string): Promise<ProcessHistoryEntry[]>;
  /** Frees the key of a failed instance. Returns false when it is not failed-and-unacknowledged. */
  abstract acknowledgeFailure(processId: string, at: Date): Promise<boolean>;
  /** Ends a live instance as cancelled (with a history row) and drops its timers. False when not live. */
  abstract cancel(processId: string, reason: string | undefined, at: Date): Promise<boolean>;
}
