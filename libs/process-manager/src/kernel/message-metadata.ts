/** Identity and lineage of a message. */
export interface MessageMetadata {
  /** Unique id; receivers dedupe on it. */
  messageId: string;
  /** Id of the process (or conversation) the message belongs to. */
  correlationId?: string;
  /** `messageId` of the message that caused this one. */
  causationId?: string;
  occurredAt: Date;
  /** W3C trace context of the span that sent it: its receiver's step continues that trace. */
  traceparent?: string;
}

/**
 * Metadata rides on the message object under a symbol, so it never leaks into the payload
 * (JSON, `Object.keys`) and needs no wrapper type on the buses.
 */
const METADATA = Symbol.for('nestjs-process-manager:metadata');

/** Metadata attached to a message by `withMetadata()` or by the library. */
export function getMetadata(message: object): MessageMetadata | undefined {
  return (message as Record<symbol, MessageMetadata | undefined>)[METADATA];
}

/**
 * Attaches metadata to a message (merged over what it already has) and returns the same object.
 * @param message event or command instance
 * @param meta fields to set; `messageId` and `occurredAt` are required unless already present
 */
export function withMetadata<T extends object>(message: T, meta: Partial<MessageMetadata>): T {
  const merged = { ...getMetadata(message), ...meta } as MessageMetadata;
  Object.defineProperty(message, METADATA, { value: merged, enumerable: false, configurable: true });
  return message;
}
