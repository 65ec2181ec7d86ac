import type { MessageMetadata } from './message-metadata.js';

/** The kind of an outgoing message decides where it goes: the CommandBus or the EventBus. */
export type MessageKind = 'command' | 'event';

/** A message a step sends, ready for the outbox. `message` is the live instance for the fast path. */
export interface OutgoingMessage {
  readonly kind: MessageKind;
  readonly type: string;
  readonly payload: Record<string, unknown>;
  readonly metadata: MessageMetadata;
  readonly message: object;
}
