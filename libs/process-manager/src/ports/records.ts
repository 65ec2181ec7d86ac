import type { ProcessStatus } from '../kernel/process-context.js';
import type { ProcessInstance } from '../kernel/process-instance.js';
import type { MessageMetadata } from '../kernel/message-metadata.js';
import type { MessageKind } from '../kernel/outgoing-message.js';

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

/** A failed delivery as operators see it: what failed, for which instance, how often and why. */
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
  attempts: number;
  error: string;
  stack: string | undefined;
  firstFailedAt: Date;
  lastFailedAt: Date;
}

/** A failed delivery as the store keeps it: retried with backoff while `retrying`, parked when `dead`. */
export interface FailureRecord extends DeadLetter {
  status: 'retrying' | 'dead';
  nextAttemptAt: Date | undefined;
}

export interface DeadLetterQuery {
  processId?: string;
  /** One dead letter by its id. */
  id?: string;
  limit?: number;
}
