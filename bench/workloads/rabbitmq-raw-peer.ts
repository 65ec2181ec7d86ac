/**
 * Child process: one end of the raw amqplib ceiling, no Nest, no database. `BENCH_PEER=publisher`
 * publishes each event its parent sends as a persistent message on a confirm channel, shaped like the
 * library's `Ack` (same body, properties and headers); `BENCH_PEER=consumer` consumes the queue with
 * manual acks (the library's default prefetch) and tells the parent, then acks.
 */
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { answerResourceRequests, type ChildMessage, fromParent, toParent } from '../harness/child.js';

/** The library transport's default prefetch. */
const PREFETCH = 32;
const ROUTING_KEY = 'Ack';
const exchange = process.env.BENCH_RABBITMQ_EXCHANGE!;
const queue = process.env.BENCH_RABBITMQ_QUEUE!;

answerResourceRequests();
const connection = await amqp.connect(process.env.BENCH_RABBITMQ_URL!);
if (process.env.BENCH_PEER === 'publisher') {
  const channel = await connection.createConfirmChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  process.on('message', (message: ChildMessage) => {
    if (message.type !== 'event') return;
    const n = Number(message.n);
    const occurredAt = new Date();
    const correlationId = randomUUID();
    channel.publish(
      exchange,
      ROUTING_KEY,
      Buffer.from(JSON.stringify({ n })),
      {
        persistent: true,
        mandatory: true,
        messageId: randomUUID(),
        type: ROUTING_KEY,
        contentType: 'application/json',
        correlationId,
        timestamp: Math.floor(occurredAt.getTime() / 1000),
        headers: {
          type: ROUTING_KEY,
          occurredAt: occurredAt.toISOString(),
          correlationId,
          causationId: randomUUID(),
        },
      },
      (error: unknown) => {
        if (error) toParent({ type: 'failed', n });
      },
    );
  });
} else {
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  await channel.assertQueue(queue, { durable: true });
  await channel.bindQueue(queue, exchange, ROUTING_KEY);
  await channel.prefetch(PREFETCH);
  await channel.consume(
    queue,
    (delivery) => {
      if (!delivery) return;
      const { n } = JSON.parse(delivery.content.toString('utf8')) as { n: number };
      toParent({ type: 'arrived', n });
      channel.ack(delivery);
    },
    { noAck: false },
  );
}
toParent({ type: 'ready' });
await fromParent('stop');
await connection.close();
process.disconnect();
