import type { Dispatchable } from './dispatchable.js';

/** How a transport's link to its broker stands, as `ProcessManagerHealthIndicator` reports it. */
export interface TransportStatus {
  /** The broker's kind, as the health result names it: `'rabbitmq'`. */
  readonly name: string;
  /** Where the transport connects, without credentials (the health problem names it). */
  readonly endpoint: string;
  readonly connected: boolean;
  /** While not connected: since when (the app's `Clock`); from boot when it never connected yet. */
  readonly disconnectedSince?: Date;
}

/**
 * A broker between services (RabbitMQ, later NATS or Kafka: one adapter each). The outbox dispatcher
 * hands it every outgoing message of a type it `publishes`; a command then leaves this app instead of
 * going to the CommandBus, an event is both delivered to this app's routes and published. The core
 * knows only this port, never a broker's client library. A transport module also provides itself under
 * this class, so the health indicator finds it.
 */
export abstract class MessageTransport {
  /** True when messages of this wire name leave this service through the transport. */
  abstract publishes(type: string): boolean;
  /**
   * Publishes one message; resolves only once the broker confirmed it (it is then the broker's to
   * deliver), rejects otherwise, so the outbox row stays with the relay.
   */
  abstract publish(message: Dispatchable): Promise<void>;
  /** Optional: the link to the broker, for the health indicator (a transport without it is not judged). */
  status?(): TransportStatus;
}
