// Reserved for the 0.2 RabbitMQ transport: the entry 'nestjs-process-manager/rabbitmq' exports nothing yet.
export {};
