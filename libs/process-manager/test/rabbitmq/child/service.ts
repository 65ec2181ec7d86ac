// One service of the child programs, as a user builds it: CQRS, TypeORM on DATABASE_URL, the process
// manager (its periodic jobs off) and the RabbitMQ transport on RABBITMQ_URL, RABBITMQ_EXCHANGE and
// RABBITMQ_QUEUE; QUIET=1 for no logs (a broker away on purpose). Tells the test 'connected' once its
// transport is, and 'ready' once it runs (with `readyWhenConnected`: once it also is connected); stops
// cleanly on a 'stop' message and exits when the test goes away.
import 'reflect-metadata';
import { type INestApplicationContext, Module, type Provider, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { TypeOrmModule } from '@nestjs/typeorm';
import pg from 'pg';
import { PROCESS_MANAGER_MIGRATIONS, ProcessManagerModule } from '../../../src/index.js';
import { RabbitMqTransport, RabbitMqTransportModule } from '../../../src/rabbitmq/index.js';

export async function startService(parts: {
  providers: Provider[];
  publish?: Type[];
  subscribe?: Type[];
  readyWhenConnected?: boolean;
}): Promise<INestApplicationContext> {
  @Module({
    imports: [
      CqrsModule.forRoot(),
      TypeOrmModule.forRoot({
        type: 'postgres',
        driver: pg,
        url: process.env.DATABASE_URL,
        autoLoadEntities: true,
        migrations: PROCESS_MANAGER_MIGRATIONS,
        migrationsRun: true,
      }),
      ProcessManagerModule.forRoot({
        timers: { enabled: false },
        outbox: { enabled: false },
        recovery: { enabled: false },
        retention: { enabled: false },
      }),
      RabbitMqTransportModule.forRoot({
        url: process.env.RABBITMQ_URL!,
        exchange: process.env.RABBITMQ_EXCHANGE!,
        queue: process.env.RABBITMQ_QUEUE!,
        publish: parts.publish ?? [],
        subscribe: parts.subscribe ?? [],
        reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      }),
    ],
    providers: parts.providers,
  })
  class ServiceModule {}

  const app = await NestFactory.createApplicationContext(ServiceModule, {
    logger: process.env.QUIET === '1' ? false : ['error', 'warn'],
  });
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'stop') void app.close().then(() => process.exit(0));
  });
  const connected = app
    .get(RabbitMqTransport)
    .whenConnected()
    .then(() => process.send?.({ type: 'connected' }));
  if (parts.readyWhenConnected) await connected;
  process.send?.({ type: 'ready' });
  return app;
}
