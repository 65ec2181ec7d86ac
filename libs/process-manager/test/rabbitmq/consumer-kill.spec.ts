// A consuming service (a real child process) SIGKILLed after its step committed and before the ack:
// the broker redelivers the message to the restarted service, whose inbox skips it, so it is applied
// once. The child is compiled like the durability specs' one (see children.ts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitFor } from '../support/wait-for.js';
import { RABBITMQ_URL, useBroker } from './broker.js';
import { useChildPrograms } from './children.js';

describe('a consumer killed between commit and ack (real child process, RabbitMQ, PostgreSQL)', () => {
  const broker = useBroker();
  const programs = useChildPrograms();
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  const start = (env: Record<string, string>) =>
    programs.start('consumer', {
      DATABASE_URL: db.url,
      RABBITMQ_URL,
      RABBITMQ_EXCHANGE: broker.exchange,
      RABBITMQ_QUEUE: broker.queue('consumer'),
      ...env,
    });

  const tally = async (key: string) => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ state: { count: number }; steps: number }>(
        `SELECT p.state, (SELECT count(*)::int FROM pm_history h WHERE h.process_id = p.id) AS steps
           FROM pm_process p WHERE p.type = 'tally' AND p.correlation_key = $1`,
        [key],
      );
      return rows;
    } finally {
      await client.end();
    }
  };

  it('redelivers a message whose consumer was killed before its step committed, and applies it once', async () => {
    const first = await start({ HOLD_BEFORE_COMMIT: '1' });
    const key = randomUUID();
    const messageId = randomUUID();
    const channel = await broker.channel();
    channel.publish(broker.exchange, 'Counted', Buffer.from(JSON.stringify({ key })), {
      persistent: true,
      messageId,
      type: 'Counted',
      headers: { occurredAt: new Date().toISOString() },
    });
    await waitFor(
      () => first.reports.some((message) => message.type === 'received' && message.messageId === messageId),
      'the delivery received (step not run)',
    );
    first.process.kill('SIGKILL');
    await first.exited;
    expect(await tally(key)).toEqual([]);

    const second = await start({});
    await waitFor(
      () => second.reports.some((message) => message.type === 'committed' && message.messageId === messageId),
      'the redelivery committed by the restarted consumer',
    );
    expect(await tally(key)).toEqual([{ state: { count: 1 }, steps: 1 }]);
    await second.stop();
    expect((await channel.checkQueue(broker.queue('consumer'))).messageCount).toBe(0);
  }, 90_000);

  it('redelivers the message to the restarted consumer, which applies it once', async () => {
    const first = await start({ PAUSE_BEFORE_ACK: '1' });
    const key = randomUUID();
    const messageId = randomUUID();
    const channel = await broker.channel();
    channel.publish(broker.exchange, 'Counted', Buffer.from(JSON.stringify({ key })), {
      persistent: true,
      messageId,
      type: 'Counted',
      headers: { occurredAt: new Date().toISOString() },
    });

    await waitFor(
      () => first.reports.some((message) => message.type === 'committed' && message.messageId === messageId),
      'the step committed (not acked)',
    );
    expect(await tally(key)).toEqual([{ state: { count: 1 }, steps: 1 }]);
    first.process.kill('SIGKILL');
    await first.exited;
    // Unacked when its consumer died: back in the queue.
    await waitFor(
      async () => (await channel.checkQueue(broker.queue('consumer'))).messageCount === 1,
      'the message back in the queue',
    );

    const second = await start({});
    await waitFor(
      () => second.reports.some((message) => message.type === 'committed' && message.messageId === messageId),
      'the redelivery handled by the restarted consumer',
    );
    await waitFor(
      async () => (await channel.checkQueue(broker.queue('consumer'))).messageCount === 0,
      'the queue drained',
    );
    expect(await tally(key)).toEqual([{ state: { count: 1 }, steps: 1 }]);
    await second.stop();
    // Acked this time: nothing comes back after a clean stop.
    expect((await channel.checkQueue(broker.queue('consumer'))).messageCount).toBe(0);
  }, 90_000);
});
