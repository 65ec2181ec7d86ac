import type { ProcessStatus } from '../kernel/process-context.js';
import type { ProcessInstance } from '../kernel/process-instance.js';
import type { MessageMetadata } from '../kernel/message-metadata.js';
import type { MessageKind } from '../kernel/outgoing-message.js';

export interface LoadQuery {
  type: string;
  /** Load this very instance (timers, retries) instead of correlating. */
  processId?: string;
  /**
   * Correlation value: the instance's key, or an associated value. The key's holder comes first; a value
   * that several live instances associated loads the one started first.
   */
  correlationKey: string;
  /** Looks only at values associated under this key name (not at instance keys). */
  associationKey: string | undefined;
  messageId: string;
}

export interface Loaded {
  /** The instance holding the key (running, compensating, or failed and not acknowledged). */
  instance: ProcessInstance | null;
  /** An instance of this type already handled `messageId` (inbox). */
  handled: boolean;
}

/** How many instances of a type hold their key in a status; `stalled` of them were reported stuck. */
export interface ActiveCount {
  type: string;
  status: ProcessStatus;
  count: number;
  stalled: number;
}

export interface ListQuery {
  type?: string;
  status?: ProcessStatus | ProcessStatus[];
  limit?: number;
  cursor?: string;
  /** Instances in this named state. */
  stateName?: string;
  /** Instances with this correlation key, in any status (the business key's whole story). */
  correlationKey?: string;
  /** Instances last changed before this time. */
  updatedBefore?: Date;
  /** `false`: leave each instance's state out (a summary; a store need not even read it). */
  state?: boolean;
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
  /** W3C trace context of the step that scheduled it. */
  traceparent?: string;
  /**
   * The instance's correlation key, when the claim knows it: the delivery queues behind the instance's
   * other deliveries in this app under it (the runner re-queues if the instance turns out to hold another).
   */
  correlationKey?: string;
}

/**
 * What this app can deliver. Claims take only rows inside it, so services with different process
 * classes on one database never take (and fail on) each other's timers, retries and outbox rows.
 */
export interface ClaimScope {
  /** Process types this app runs. */
  readonly processTypes: readonly string[];
  /** Each handler here (a process type, or `Class.method` of a stateless one) with a message type it takes. */
  readonly routes: readonly { readonly handler: string; readonly messageType: string }[];
  /** Message types this app can rebuild from a stored row. */
  readonly messageTypes: readonly string[];
}

/** A claim this app still holds: the row and the lease end it was given. */
export interface Lease {
  id: string;
  until: Date;
}

/** Due work of a kind and type that no claim in this app takes (`ClaimScope`), for the log. */
export interface UnclaimableWork {
  kind: 'timer' | 'retry' | 'outbox';
  /** Process type (timers), handler (retries), or the writing process's type if any (outbox). */
  handler: string | undefined;
  messageType: string;
  /** Rows of this kind, handler and type found, up to the query's limit. */
  count: number;
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

/** A page of `deadLetters()`: the array, with `nextCursor` (not enumerable) when more follow. */
export type DeadLetterPage = DeadLetter[] & { readonly nextCursor?: string };

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
  /** Only those after this one in (firstFailedAt, id) order: the next page. */
  after?: { firstFailedAt: Date; id: string };
}
