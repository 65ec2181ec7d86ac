import type { MessageMetadata } from '../kernel/message-metadata.js';
import type { MessageKind } from '../kernel/outgoing-message.js';

/** An outbox message on its way out. */
export interface Dispatchable {
  readonly kind: MessageKind;
  readonly type: string;
  readonly metadata: MessageMetadata;
  /** The message instance, metadata attached. */
  readonly message: object;
  /** The instance that sent it; null for the app's own `Outbox` and for stateless reactions. */
  readonly processId?: string | null;
  /** The sender's process type, when the caller knows it (saves a lookup). */
  readonly processType?: string;
  /** Failed sends so far (0 on the fast path). */
  readonly attempts?: number;
}

/** A message whose dispatch attempts ran out. */
export interface DispatchFailure {
  readonly message: Dispatchable;
  readonly error: string;
  readonly attempts: number;
}

/**
 * What the dispatcher needs of this app's own routes; the process runner implements it. An interface
 * that the runner attaches at construction, not an injected provider: the runner sends through the
 * dispatcher, so the dispatcher depending on it would be a DI cycle.
 */
export interface LocalDelivery {
  /** Publishes `event` on the EventBus and resolves once every route of this app took it. */
  deliver(event: object): Promise<void>;
  /** A command left: tells its process if it waits for that (a saga's compensation without `ack`). */
  sent(command: Dispatchable): Promise<void>;
  /** A message ran out of dispatch attempts: surface it, whatever its process's status. */
  undeliverable(failure: DispatchFailure): Promise<void>;
}
