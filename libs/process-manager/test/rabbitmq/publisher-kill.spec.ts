// A publishing service (a real child process) SIGKILLed after its steps committed their outbox rows and
// before the broker had the messages: the restarted service's relay publishes them, and the receiving
// service applies each once. Two ways to be caught in between, both deterministic: the publish never
// reaches the broker (held inside the transport), or the broker cannot be reached at all.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitFor } from '../support/wait-for.js';
import { connected, createServiceApp, RABBITMQ_URL, useBroker } from './broker.js';
import { type Child, useChildPrograms } from './children.js';
import { Counted, Tally } from './child/tally.js';

const KEYS = 20;

describe('a publisher killed between commit and publish (real child process, RabbitMQ, PostgreSQL)', () => {
  const broker = useBroker();
  const programs = useChildPrograms();
  let publisherDb: TestDatabase;
  let receiverDb: TestDatabase;
  const open: TestingModule[] = [];

  beforeAll(async () => {
    [publisherDb, receiverDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((app) => app.close()));
  });
  afterAll(async () => {
    await Promise.all([publisherDb?.drop(), receiverDb?.drop()]);
  });

  const query = async <Row>(url: string, sql: string, params: unknown[] = []): Promise<Row[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as Row[];
    } finally {
      await client.end();
    }
  };

  const publisher = (env: Record<string, string>) =>
    programs.start('publisher', {
      DATABASE_URL: publisherDb.url,
      RABBITMQ_URL,
      RABBITMQ_EXCHANGE: broker.exchange,
      RABBITMQ_QUEUE: broker.queue('publisher'),
      ...env,
    });

  /** The receiving service, and a raw queue on the same binding that counts every copy published. */
  const receiver = async () => {
    const app = await createServiceApp({
      url: receiverDb.url,
      providers: [Tally],
      transport: {
        url: RABBITMQ_URL,
        exchange: broker.exchange,
        queue: broker.queue('tally'),
        subscribe: [Counted],
      },
    });
    open.push(app);
    await connected(app);
    const channel = await broker.channel();
    const audit = broker.queue(`audit-${randomUUID()}`);
    await channel.assertQueue(audit, { durable: false });
    await channel.bindQueue(audit, broker.exchange, 'Counted');
    /** messageId → how many times the broker got it. */
    const published = async () => {
      const copies = new Map<string, number>();
      for (;;) {
        const copy = await channel.get(audit, { noAck: true });
        if (!copy) return copies;
        const id = String(copy.properties.messageId);
        copies.set(id, (copies.get(id) ?? 0) + 1);
      }
    };
    return { published };
  };

  /** The Counted rows of the publisher's outbox: one per key. */
  const outboxOf = (keys: string[]) =>
    query<{ messageId: string; dispatched: boolean; failed: boolean; attempts: number; lastError: string }>(
      publisherDb.url,
      `SELECT metadata->>'messageId' AS "messageId", dispatched_at IS NOT NULL AS dispatched,
              failed_at IS NOT NULL AS failed, attempts, last_error AS "lastError"
         FROM pm_outbox WHERE type = 'Counted' AND payload->>'key' = ANY($1)`,
      [keys],
    );

  const request = async (child: Child, keys: string[]) => {
    child.process.send({ type: 'request', keys });
    await waitFor(
      () => child.reports.some((report) => report.type === 'committed' || report.type === 'failed'),
      'the requests committed',
    );
    expect(child.reports.filter((report) => report.type === 'failed')).toEqual([]);
  };

  const kill = async (child: Child) => {
    child.process.kill('SIGKILL');
    await child.exited;
  };

  /** Restarts the publisher on the real broker and waits until its relay published every row. */
  const relayAfterRestart = async (keys: string[]) => {
    const restarted = await publisher({ RELAY: '1' });
    await waitFor(
      () => restarted.reports.some((report) => report.type === 'connected'),
      'the restart connected',
    );
    await waitFor(
      async () => (await outboxOf(keys)).every((row) => row.dispatched),
      'every outbox row published and marked by the restarted publisher',
      30_000,
    );
    return restarted;
  };

  const expectAppliedOnce = async (keys: string[], published: () => Promise<Map<string, number>>) => {
    const rows = await outboxOf(keys);
    const ids = rows.map((row) => row.messageId);
    expect(rows).toHaveLength(keys.length);
    expect(rows.filter((row) => !row.dispatched || row.failed)).toEqual([]);
    await waitFor(
      async () =>
        (
          await query<{ count: number }>(
            receiverDb.url,
            `SELECT count(*)::int AS count FROM pm_inbox WHERE handler = 'tally' AND message_id = ANY($1)`,
            [ids],
          )
        )[0]!.count === keys.length,
      'every message applied by the receiver',
      20_000,
    );
    const tallies = await query<{ key: string; state: { count: number }; steps: number }>(
      receiverDb.url,
      `SELECT p.correlation_key AS key, p.state,
              (SELECT count(*)::int FROM pm_history h WHERE h.process_id = p.id) AS steps
         FROM pm_process p WHERE p.type = 'tally' AND p.correlation_key = ANY($1) ORDER BY p.correlation_key`,
      [keys],
    );
    expect(tallies).toEqual([...keys].sort().map((key) => ({ key, state: { count: 1 }, steps: 1 })));
    expect(await query(receiverDb.url, `SELECT id FROM pm_dead_letter`)).toEqual([]);
    await waitFor(
      async () => (await (await broker.channel()).checkQueue(broker.queue('tally'))).messageCount === 0,
      "the receiver's queue drained",
    );
    // Confirmed before marked, so every copy is in the audit queue by now. At-least-once would allow
    // a second copy of a row (a confirm whose mark was lost); this restart published each row once.
    const copies = await published();
    expect([...copies.keys()].sort()).toEqual([...ids].sort());
    const duplicates = [...copies.values()].reduce((sum, count) => sum + count - 1, 0);
    expect(duplicates).toBe(0);
  };

  it('relays rows whose publish was under way when the publisher was killed; each applied once', async () => {
    const { published } = await receiver();
    const keys = Array.from({ length: KEYS }, () => randomUUID());
    const first = await publisher({ BLOCK_PUBLISH: '1' });
    await waitFor(
      () => first.reports.some((report) => report.type === 'connected'),
      'the publisher connected',
    );
    await request(first, keys);
    await waitFor(
      () => first.reports.filter((report) => report.type === 'publishing').length === keys.length,
      'every message handed to the transport (held there, not sent)',
    );
    const held = await outboxOf(keys);
    expect(held).toHaveLength(keys.length);
    expect(held.filter((row) => row.dispatched || row.attempts > 0)).toEqual([]);
    expect(new Set(first.reports.map((report) => report.messageId).filter(Boolean))).toEqual(
      new Set(held.map((row) => row.messageId)),
    );
    await kill(first);

    // The killed process's fast path held these rows for 30 s (DISPATCH_LEASE_MS) before a relay may
    // take them; the test lapses that lease instead of waiting it out.
    await query(
      publisherDb.url,
      `UPDATE pm_outbox SET available_at = now() WHERE type = 'Counted' AND dispatched_at IS NULL`,
    );
    const restarted = await relayAfterRestart(keys);
    await expectAppliedOnce(keys, published);
    await restarted.stop();
  }, 120_000);

  it('relays rows committed while the broker was unreachable, after a kill and restart; each applied once', async () => {
    const { published } = await receiver();
    const keys = Array.from({ length: KEYS }, () => randomUUID());
    const first = await publisher({
      RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${await closedPort()}`,
      QUIET: '1',
    });
    await request(first, keys);
    // Each row's first dispatch found no broker: recorded on the row, left for the relay.
    await waitFor(async () => {
      const rows = await outboxOf(keys);
      return rows.length === keys.length && rows.every((row) => row.attempts === 1 && !row.dispatched);
    }, 'every failed publish recorded on its row');
    expect((await outboxOf(keys)).map((row) => row.lastError)).toEqual(
      keys.map(() => expect.stringContaining('no connection to RabbitMQ')),
    );
    await kill(first);

    const restarted = await relayAfterRestart(keys);
    await expectAppliedOnce(keys, published);
    await restarted.stop();
  }, 120_000);
});

/** A local port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
