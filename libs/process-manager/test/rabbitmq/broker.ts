import { afterAll, beforeAll } from '@jest/globals';
import type { Provider } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import amqp from 'amqplib';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import {
  Clock,
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
    // A channel the broker closed (e.g. checkQueue of a missing queue) leaves its connection usable.
    if (!connection) {
      connection = await amqp.connect(RABBITMQ_URL);
      connection.on('error', () => undefined);
      connection.on('close', () => (connection = undefined));
    }
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

/**
 * A spec file's own virtual host on the machine's broker (created in `beforeAll`, deleted in `afterAll`)
 * and the broker-side controls `rabbitmqctl` gives over it: close every connection to it, refuse new
 * ones. A vhost of its own, so closing connections never touches another spec's.
 */
export function useVirtualHost(): {
  readonly url: string;
  closeConnections(reason: string): Promise<void>;
  refuseConnections(): Promise<void>;
  acceptConnections(): Promise<void>;
} {
  const vhost = `pm-test-${randomBytes(5).toString('hex')}`;
  beforeAll(async () => {
    await rabbitmqctl('add_vhost', vhost);
    await rabbitmqctl('set_permissions', '--vhost', vhost, 'guest', '.*', '.*', '.*');
  });
  afterAll(() => rabbitmqctl('delete_vhost', vhost));
  const url = new URL(RABBITMQ_URL);
  url.pathname = `/${encodeURIComponent(vhost)}`;
  return {
    url: url.toString(),
    closeConnections: (reason) =>
      rabbitmqctl('close_all_connections', '--vhost', vhost, '--limit', '1000', reason),
    refuseConnections: () => rabbitmqctl('set_vhost_limits', '--vhost', vhost, '{"max-connections": 0}'),
    acceptConnections: () => rabbitmqctl('set_vhost_limits', '--vhost', vhost, '{"max-connections": -1}'),
  };
}

async function rabbitmqctl(...args: string[]): Promise<void> {
  try {
    await promisify(execFile)('rabbitmqctl', ['--quiet', ...args], { timeout: 30_000 });
  } catch (error) {
    throw new Error(
      `rabbitmqctl ${args.join(' ')} failed (the spec needs the broker's rabbitmqctl on this machine): ` +
        `${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

export interface ServiceAppOptions {
  url: string;
  providers: Provider[];
  transport: RabbitMqTransportOptions;
  options?: ProcessManagerModuleOptions;
  /** Replaces the app's Clock (a VirtualClock, to judge durations without waiting). */
  clock?: Clock;
  /** No logs (unless PM_TEST_LOG): the spec makes the broker fail on purpose. */
  quiet?: boolean;
}

/** One service as a user builds it: CQRS, TypeORM, the process manager and its RabbitMQ transport. */
export async function createServiceApp({
  url,
  providers,
  transport,
  options = {},
  clock,
  quiet = false,
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
  const builder = Test.createTestingModule({ imports: [ServiceModule] });
  if (clock) builder.overrideProvider(Clock).useValue(clock);
  const app = await builder.compile();
  app.useLogger(process.env.PM_TEST_LOG ? ['error', 'warn', 'log', 'debug'] : quiet ? false : ['error']);
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
