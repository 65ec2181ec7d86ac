import { type DynamicModule, Module } from '@nestjs/common';
import { MessageTransport } from '../runtime/message-transport.js';
import { RabbitMqTransport } from './rabbitmq.transport.js';
import {
  RABBITMQ_TRANSPORT_OPTIONS,
  type RabbitMqTransportOptions,
  resolveRabbitMqOptions,
} from './rabbitmq-transport.options.js';

/**
 * Carries this service's messages over RabbitMQ: outbox rows of the `publish` types leave through the
 * broker (marked dispatched once it confirmed), deliveries of the `subscribe` types enter the same path
 * as local events. Import it beside `ProcessManagerModule.forRoot()`.
 */
@Module({})
export class RabbitMqTransportModule {
  static forRoot(options: RabbitMqTransportOptions): DynamicModule {
    return {
      module: RabbitMqTransportModule,
      providers: [
        { provide: RABBITMQ_TRANSPORT_OPTIONS, useValue: resolveRabbitMqOptions(options) },
        RabbitMqTransport,
        // The port's token, for the health indicator (which looks it up, so the app needs no wiring).
        { provide: MessageTransport, useExisting: RabbitMqTransport },
      ],
      exports: [RabbitMqTransport, MessageTransport],
    };
  }
}
