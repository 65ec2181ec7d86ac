import { afterAll } from '@jest/globals';
import type { Provider } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import amqp from 'amqplib';
import { randomBytes } from 'node:crypto';
import {
  PROCESS_MANAGER_MIGRATIONS,
  ProcessManagerModule,
  type ProcessManagerModuleOptions,
} from 'nestjs-process-manager';
import {
  RabbitMqTransport,
  RabbitMqTransportModule,
  type RabbitMqTransportOptions,
} from 'nestjs-process-manager/rabbitmq';
import pg from 'pg';

export const RABBITMQ_URL = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/**
 * A spec file's own exchange and queue names on the machine's broker, deleted in `afterAll`, and a raw
 * amqplib channel to look at them and to publish what no well-behaved service would.
 */
export function useBroker(): {
  readonly exchange: string;
  queue(service: string): string;
  channel(): Promise<amqp.Channel>;
} {
  const prefix = `pm-test-${randomBytes(5).toString('hex')}`;
  const queues = new Set<string>();
  let connection: amqp.ChannelModel | undefined;
  let channel: amqp.Channel | undefined;
  const open = async () => {
    if (channel) return channel;
    connection = await amqp.connect(RABBITMQ_URL);
    connection.on('error', () => undefined);
    channel = await connection.createChannel();
    channel.on('error', () => undefined);
    channel.on('close', () => (channel = undefined));
    return channel;
  };
  afterAll(async () => {
    const admin = await open();
    for (const queue of queues) await admin.deleteQueue(queue);
    await admin.deleteExchange(prefix);
    await connection?.close();
  });
  return {
    exchange: prefix,
    queue: (service) => {
      const name = `${prefix}.${service}`;
      queues.add(name);
      return name;
    },
    channel: open,
  };
}

export interface ServiceAppOptions {
  url: string;
  providers: Provider[];
  transport: RabbitMqTransportOptions;
  options?: ProcessManagerModuleOptions;
}

/** One service as a user builds it: CQRS, TypeORM, the process manager and its RabbitMQ transport. */
export async function createServiceApp({
  url,
  providers,
  transport,
  options = {},
}: ServiceAppOptions): Promise<TestingModule> {
  @Module({
    imports: [
      CqrsModule.forRoot(),
      TypeOrmModule.forRoot({
        type: 'postgres',
        driver: pg,
        url,
        autoLoadEntities: true,
        migrations: PROCESS_MANAGER_MIGRATIONS,
        migrationsRun: true,
        extra: { max: 20 },
      }),
      ProcessManagerModule.forRoot({
        ...options,
        timers: { enabled: false },
        outbox: { ...options.outbox, enabled: false },
        recovery: { enabled: false },
        retention: { enabled: false },
      }),
      RabbitMqTransportModule.forRoot(transport),
    ],
    providers,
  })
  class ServiceModule {}
  const app = await Test.createTestingModule({ imports: [ServiceModule] }).compile();
  app.useLogger(process.env.PM_TEST_LOG ? ['error', 'warn', 'log', 'debug'] : ['error']);
  try {
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}

/** Waits until the app's transport is connected and consuming. */
export async function connected(app: TestingModule): Promise<void> {
  await app.get(RabbitMqTransport).whenConnected();
}
