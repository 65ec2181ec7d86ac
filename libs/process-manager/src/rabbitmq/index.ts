// Entry 'nestjs-process-manager/rabbitmq': the RabbitMQ transport between services (needs `amqplib`).
export { RabbitMqTransportModule } from './rabbitmq-transport.module.js';
export { RabbitMqTransport, UNREADABLE_DELIVERY_HANDLER } from './rabbitmq.transport.js';
export type { RabbitMqTransportOptions } from './rabbitmq-transport.options.js';
export {
  AmqplibNotInstalledError,
  BrokerNotConnectedError,
  InvalidRabbitMqOptionsError,
  PublishNotConfirmedError,
  UnreadableDeliveryError,
} from './rabbitmq.errors.js';
