import { ProcessManagerError } from '../errors/process-manager.error.js';

/** `RabbitMqTransportModule.forRoot()` got options it cannot work with. */
export class InvalidRabbitMqOptionsError extends ProcessManagerError {
  constructor(
    readonly option: string,
    readonly problem: string,
  ) {
    super(`RabbitMqTransportModule.forRoot(): option "${option}" ${problem}.`);
  }
}

/** The transport runs on `amqplib`, an optional peer of the library. */
export class AmqplibNotInstalledError extends ProcessManagerError {
  constructor(cause: unknown) {
    super(
      `RabbitMqTransportModule could not load amqplib (${cause instanceof Error ? cause.message : String(cause)}). ` +
        `Install it beside nestjs-process-manager: npm i amqplib`,
      { cause },
    );
  }
}

/** A publish found no open connection to the broker; the outbox relay sends the message again later. */
export class BrokerNotConnectedError extends ProcessManagerError {
  constructor(
    readonly messageType: string,
    readonly messageId: string,
    readonly url: string,
  ) {
    super(
      `Could not publish ${messageType} ${messageId}: no connection to RabbitMQ at ${url} (reconnecting). ` +
        `Nothing to do if the broker comes back: the outbox relay publishes it again; else check the broker and the url.`,
    );
  }
}

/** The broker refused a publish, or the channel closed before it confirmed; the relay sends it again. */
export class PublishNotConfirmedError extends ProcessManagerError {
  constructor(
    readonly messageType: string,
    readonly messageId: string,
    readonly reason: string,
  ) {
    super(
      `RabbitMQ did not confirm ${messageType} ${messageId} (${reason}); the outbox relay publishes it again. ` +
        `Check the broker's log if this persists (exchange permissions, resource alarms).`,
    );
  }
}

/** A delivery from the broker that cannot be turned into a message of this app: dead-lettered, then acked. */
export class UnreadableDeliveryError extends ProcessManagerError {
  readonly hopeless = true;

  constructor(
    readonly queue: string,
    readonly messageId: string,
    readonly problem: string,
  ) {
    super(
      `Delivery ${messageId} from queue ${queue} cannot be read: ${problem}. It is dead-lettered and acked; ` +
        `fix the publisher (or register the type in this service), then discard the dead letter.`,
    );
  }
}
