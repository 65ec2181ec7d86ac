/**
 * Child process: one service of the RabbitMQ round trip, a Nest app with the library, its own
 * database and `RabbitMqTransportModule`. `BENCH_SERVICE=events` (service A) runs the counter process
 * manager on the events its parent sends over IPC; its `Ack` commands leave over the broker.
 * `BENCH_SERVICE=commands` (service B) consumes them; its handler tells the parent.
 */
import { EventBus, UnhandledExceptionBus } from '@nestjs/cqrs';
import type { ProcessManagerModuleOptions } from 'nestjs-process-manager';
import { RabbitMqTransport, RabbitMqTransportModule } from 'nestjs-process-manager/rabbitmq';
import { Ack, CounterEvent } from '../fixtures/counter.messages.js';
import { CounterProcess } from '../fixtures/counter.process.js';
import { RemoteAckHandler } from '../fixtures/remote-ack.handler.js';
import { answerResourceRequests, type ChildMessage, fromParent, toParent } from '../harness/child.js';
import { createBenchApp } from '../harness/nest-app.js';
import { installQueryCounter } from '../harness/resources.js';

const sendsCommands = process.env.BENCH_SERVICE === 'events';
installQueryCounter();
answerResourceRequests();
const app = await createBenchApp({
  url: process.env.BENCH_DATABASE_URL!,
  poolMax: Number(process.env.BENCH_POOL_MAX),
  providers: sendsCommands ? [CounterProcess] : [RemoteAckHandler],
  processManager: JSON.parse(process.env.BENCH_PM_OPTIONS ?? '{}') as ProcessManagerModuleOptions,
  imports: [
    RabbitMqTransportModule.forRoot({
      url: process.env.BENCH_RABBITMQ_URL!,
      exchange: process.env.BENCH_RABBITMQ_EXCHANGE!,
      queue: process.env.BENCH_RABBITMQ_QUEUE!,
      publish: sendsCommands ? [Ack] : [],
      subscribe: sendsCommands ? [] : [Ack],
    }),
  ],
});
await app.get(RabbitMqTransport).whenConnected();

if (sendsCommands) {
  const eventBus = app.get(EventBus);
  app.get(UnhandledExceptionBus).subscribe(({ cause }) => {
    if (cause instanceof CounterEvent) toParent({ type: 'failed', n: cause.n });
  });
  process.on('message', (message: ChildMessage) => {
    if (message.type === 'event')
      eventBus.publish(new CounterEvent(String(message.key), Number(message.n), Number(message.total)));
  });
}
toParent({ type: 'ready' });
await fromParent('stop');
await app.close();
process.disconnect();
