// A consuming service in a child process, for the kill -9 spec: a `tally` process per key, fed over
// RabbitMQ. Tells the test over IPC when a delivery's step committed ('committed', before the ack);
// with PAUSE_BEFORE_ACK=1 it then never acks, so the test can SIGKILL it between commit and ack; with
// HOLD_BEFORE_COMMIT=1 it never runs the step ('received' only), for a kill before the commit.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { TypeOrmModule } from '@nestjs/typeorm';
import pg from 'pg';
import {
  getMetadata,
  OnEvent,
  PROCESS_MANAGER_MIGRATIONS,
  type ProcessContext,
  ProcessManager,
  ProcessManagerModule,
} from '../../../src/index.js';
import { RabbitMqTransport, RabbitMqTransportModule } from '../../../src/rabbitmq/index.js';
import { ProcessRunner } from '../../../src/runtime/process-runner.js';

export class Counted {
  constructor(readonly key: string) {}
}

@ProcessManager({ name: 'tally', correlationKey: 'key' })
class Tally {
  @OnEvent(Counted, { start: true })
  counted(_event: Counted, ctx: ProcessContext<{ count: number }>) {
    ctx.state.count = (ctx.state.count ?? 0) + 1;
  }
}

const pause = process.env.PAUSE_BEFORE_ACK === '1';
const hold = process.env.HOLD_BEFORE_COMMIT === '1';
const deliver = ProcessRunner.prototype.deliver;
ProcessRunner.prototype.deliver = async function (this: ProcessRunner, event: object) {
  process.send?.({ type: 'received', messageId: getMetadata(event)?.messageId });
  if (hold) await new Promise<never>(() => undefined);
  await deliver.call(this, event);
  process.send?.({ type: 'committed', messageId: getMetadata(event)?.messageId });
  if (pause) await new Promise<never>(() => undefined);
};

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
      subscribe: [Counted],
    }),
  ],
  providers: [Tally],
})
class ConsumerModule {}

const app = await NestFactory.createApplicationContext(ConsumerModule, { logger: ['error', 'warn'] });
await app.get(RabbitMqTransport).whenConnected();
process.send?.({ type: 'ready' });
process.on('disconnect', () => process.exit(0));
process.on('message', (message: { type?: string }) => {
  if (message?.type === 'stop') void app.close().then(() => process.exit(0));
});
