import type { Dispatchable } from './dispatchable.js';

/**
 * A broker between services (RabbitMQ, later NATS or Kafka: one adapter each). The outbox dispatcher
 * hands it every outgoing message of a type it `publishes`; a command then leaves this app instead of
 * going to the CommandBus, an event is both delivered to this app's routes and published. The core
 * knows only this port, never a broker's client library.
 */
export abstract class MessageTransport {
  /** True when messages of this wire name leave this service through the transport. */
  abstract publishes(type: string): boolean;
  /**
   * Publishes one message; resolves only once the broker confirmed it (it is then the broker's to
   * deliver), rejects otherwise, so the outbox row stays with the relay.
   */
  abstract publish(message: Dispatchable): Promise<void>;
}
