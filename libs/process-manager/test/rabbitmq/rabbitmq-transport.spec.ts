import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import {
  getMetadata,
  OnEvent,
  Outbox,
  type ProcessContext,
  ProcessManager,
  ProcessManagerService,
  withMetadata,
} from 'nestjs-process-manager';
import { RabbitMqTransport, UNREADABLE_DELIVERY_HANDLER } from 'nestjs-process-manager/rabbitmq';
import { OutboxRelay } from '../../src/scheduling/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { dataSourceOf } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';
import { connected, createServiceApp, RABBITMQ_URL, useBroker } from './broker.js';

class DocumentIssued {
  constructor(
    readonly documentId: string,
    readonly amount: number,
  ) {}
}
class DocumentAmended {
  constructor(readonly documentId: string) {}
}
class RecalculateReport {
  constructor(readonly customerId: string) {}
}

@ProcessManager({ name: 'report-line', correlationKey: 'documentId' })
class ReportLine {
  @OnEvent(DocumentIssued, { start: true })
  issued(event: DocumentIssued, ctx: ProcessContext<{ amount: number; changes: number }>) {
    ctx.state.amount = event.amount;
    ctx.state.changes = 0;
  }

  @OnEvent(DocumentAmended)
  amended(_event: DocumentAmended, ctx: ProcessContext<{ amount: number; changes: number }>) {
    ctx.state.changes += 1;
  }
}

/** A command no service consumes (its handler is in no app here, but makes it a command). */
class ArchiveDocument {
  constructor(readonly documentId: string) {}
}
@CommandHandler(ArchiveDocument)
export class ArchiveDocumentHandler implements ICommandHandler<ArchiveDocument> {
  async execute() {}
}

/** Billing's own process on the event it also publishes: local and remote handlers both get it. */
@ProcessManager({ name: 'ledger', correlationKey: 'documentId' })
class Ledger {
  @OnEvent(DocumentIssued, { start: true })
  issued(event: DocumentIssued, ctx: ProcessContext<{ amount: number }>) {
    ctx.state.amount = event.amount;
  }
}

@Injectable()
class ReportLog {
  readonly recalculated: { customerId: string; messageId: string | undefined }[] = [];
}

@CommandHandler(RecalculateReport)
class RecalculateReportHandler implements ICommandHandler<RecalculateReport> {
  constructor(private readonly log: ReportLog) {}
  async execute(command: RecalculateReport) {
    this.log.recalculated.push({
      customerId: command.customerId,
      messageId: getMetadata(command)?.messageId,
    });
  }
}

describe('RabbitMQ transport (real broker, PostgreSQL)', () => {
  const broker = useBroker();
  let billingDb: TestDatabase;
  let reportsDb: TestDatabase;
  const open: TestingModule[] = [];

  beforeAll(async () => {
    [billingDb, reportsDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((app) => app.close()));
  });
  afterAll(async () => {
    await Promise.all([billingDb.drop(), reportsDb.drop()]);
  });

  const billing = async (url = RABBITMQ_URL) => {
    const app = await createServiceApp({
      url: billingDb.url,
      providers: [Ledger],
      transport: {
        url,
        exchange: broker.exchange,
        queue: broker.queue('billing'),
        publish: [DocumentIssued, DocumentAmended, RecalculateReport, ArchiveDocument],
        subscribe: [],
        reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      },
    });
    open.push(app);
    return app;
  };
  const reports = async () => {
    const app = await createServiceApp({
      url: reportsDb.url,
      providers: [ReportLine, ReportLog, RecalculateReportHandler],
      transport: {
        url: RABBITMQ_URL,
        exchange: broker.exchange,
        queue: broker.queue('reports'),
        publish: [],
        subscribe: [DocumentIssued, DocumentAmended, RecalculateReport],
        prefetch: 8,
        requeueDelayMs: 50,
        reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      },
    });
    open.push(app);
    await connected(app);
    return app;
  };
  const send = (app: TestingModule, ...messages: object[]) =>
    dataSourceOf(app).transaction((manager) => app.get(Outbox).send(manager, ...messages));
  const outboxRow = async (app: TestingModule, messageId: string) => {
    const [row] = (await dataSourceOf(app).query(
      `SELECT dispatched_at, attempts, last_error FROM pm_outbox WHERE id = $1`,
      [messageId],
    )) as { dispatched_at: Date | null; attempts: number; last_error: string | null }[];
    return row;
  };
  /** Publishes as another service would (or would not): raw amqplib, confirmed. */
  const publishRaw = async (
    type: string | undefined,
    body: string,
    properties: { messageId?: string; headers?: Record<string, string> } = {},
    toQueue?: string,
  ) => {
    const channel = await broker.channel();
    const options = { persistent: true, type, ...properties };
    if (toQueue) channel.sendToQueue(toQueue, Buffer.from(body), options);
    else channel.publish(broker.exchange, type ?? 'none', Buffer.from(body), options);
  };
  const reportLine = (app: TestingModule, documentId: string) =>
    app.get(ProcessManagerService).find('report-line', documentId);

  it('publishes persistent messages with their metadata, and marks the outbox row only once the broker confirmed', async () => {
    const channel = await broker.channel();
    const queue = broker.queue('observer');
    await channel.assertExchange(broker.exchange, 'topic', { durable: true });
    await channel.assertQueue(queue, { durable: true });
    await channel.bindQueue(queue, broker.exchange, 'DocumentIssued');

    const down = await billing('amqp://guest:guest@127.0.0.1:1');
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const event = withMetadata(new DocumentIssued(randomUUID(), 120), { traceparent });
    await send(down, event);
    const messageId = getMetadata(event)!.messageId;
    const failed = await waitFor(async () => {
      const row = await outboxRow(down, messageId);
      return row && row.attempts > 0 && row;
    }, 'the failed publish recorded on its row');
    expect(failed.dispatched_at).toBeNull();
    expect(failed.last_error).toContain('no connection to RabbitMQ');
    expect(await channel.get(queue)).toBe(false);
    await down.close();
    open.splice(open.indexOf(down), 1);

    const up = await billing();
    await connected(up);
    await dataSourceOf(up).query(`UPDATE pm_outbox SET available_at = now() - interval '1 second'`);
    await up.get(OutboxRelay).tickOnce();
    expect((await outboxRow(up, messageId))?.dispatched_at).not.toBeNull();
    const received = await waitFor(() => channel.get(queue, { noAck: true }), 'the published message');
    expect(JSON.parse(received.content.toString())).toEqual({ documentId: event.documentId, amount: 120 });
    expect(received.fields.routingKey).toBe('DocumentIssued');
    expect(received.properties).toMatchObject({
      messageId,
      deliveryMode: 2,
      type: 'DocumentIssued',
      headers: expect.objectContaining({
        type: 'DocumentIssued',
        correlationId: getMetadata(event)!.correlationId,
        occurredAt: new Date(getMetadata(event)!.occurredAt).toISOString(),
        traceparent,
      }),
    });
  });

  it('carries an event and a command from billing to reports, each applied once; billing handles its event too', async () => {
    const reportsApp = await reports();
    const billingApp = await billing();
    await connected(billingApp);
    const documentId = randomUUID();
    const issued = new DocumentIssued(documentId, 75);
    const recalculate = new RecalculateReport(`customer-${documentId}`);
    await send(billingApp, issued, recalculate);

    const line = await waitFor(() => reportLine(reportsApp, documentId), 'the report line');
    expect(line.state).toEqual({ amount: 75, changes: 0 });
    expect(await billingApp.get(ProcessManagerService).find('ledger', documentId)).toMatchObject({
      state: { amount: 75 },
    });
    const log = reportsApp.get(ReportLog);
    await waitFor(
      () => log.recalculated.some((entry) => entry.customerId === recalculate.customerId),
      'the command',
    );
    expect(log.recalculated.filter((entry) => entry.customerId === recalculate.customerId)).toEqual([
      { customerId: recalculate.customerId, messageId: getMetadata(recalculate)!.messageId },
    ]);
    for (const message of [issued, recalculate])
      await waitFor(
        async () => (await outboxRow(billingApp, getMetadata(message)!.messageId))?.dispatched_at,
        'the outbox rows marked dispatched',
      );
  });

  it('keeps a command that no queue takes with the relay (returned by the broker), instead of dropping it', async () => {
    const billingApp = await billing();
    await connected(billingApp);
    const archive = new ArchiveDocument(randomUUID());
    await send(billingApp, archive);
    const failed = await waitFor(async () => {
      const row = await outboxRow(billingApp, getMetadata(archive)!.messageId);
      return row && row.attempts > 0 && row;
    }, 'the returned publish recorded on its row');
    expect(failed.dispatched_at).toBeNull();
    expect(failed.last_error).toContain('no queue is bound to ArchiveDocument');
  });

  it('applies a redelivered messageId once (the inbox), and acks both copies', async () => {
    const reportsApp = await reports();
    const documentId = randomUUID();
    const headers = { occurredAt: new Date().toISOString() };
    await publishRaw('DocumentIssued', JSON.stringify({ documentId, amount: 5 }), {
      messageId: randomUUID(),
      headers,
    });
    await waitFor(() => reportLine(reportsApp, documentId), 'the report line');
    const amendment = randomUUID();
    for (let copy = 0; copy < 3; copy++)
      await publishRaw('DocumentAmended', JSON.stringify({ documentId }), { messageId: amendment, headers });
    await publishRaw('DocumentAmended', JSON.stringify({ documentId }), { messageId: randomUUID(), headers });

    await waitFor(
      async () => ((await reportLine(reportsApp, documentId))?.state as { changes?: number })?.changes === 2,
      'both distinct amendments applied',
    );
    await waitFor(
      async () => (await (await broker.channel()).checkQueue(broker.queue('reports'))).messageCount === 0,
      'queue drained',
    );
    await reportsApp.close();
    open.splice(0);
    const again = await reports();
    expect((await reportLine(again, documentId))?.state).toEqual({ amount: 5, changes: 2 });
    expect((await (await broker.channel()).checkQueue(broker.queue('reports'))).messageCount).toBe(0);
  });

  it('dead-letters a delivery it cannot read (unknown type, bad JSON, no messageId) once each, and drains the queue', async () => {
    const reportsApp = await reports();
    const queue = broker.queue('reports');
    await publishRaw('NoSuchType', '{}', { messageId: randomUUID() }, queue);
    await publishRaw('DocumentIssued', '{not json', { messageId: randomUUID() });
    await publishRaw('DocumentIssued', JSON.stringify({ documentId: randomUUID(), amount: 1 }));

    const service = reportsApp.get(ProcessManagerService);
    const deadLetters = await waitFor(async () => {
      const page = await service.deadLetters({ limit: 50 });
      const unreadable = page.filter((deadLetter) => deadLetter.handler === UNREADABLE_DELIVERY_HANDLER);
      return unreadable.length >= 3 && unreadable;
    }, 'three dead letters');
    expect(deadLetters).toHaveLength(3);
    expect(deadLetters.map((deadLetter) => deadLetter.error)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('does not subscribe to NoSuchType'),
        expect.stringContaining('has no messageId'),
        expect.stringContaining('not JSON'),
      ]),
    );
    await reportsApp.close();
    open.splice(0);
    // Closed: anything unacked would be back in the queue now.
    expect((await (await broker.channel()).checkQueue(queue)).messageCount).toBe(0);
    const again = await reports();
    expect(
      (await again.get(ProcessManagerService).deadLetters({ limit: 50 })).filter(
        (deadLetter) => deadLetter.handler === UNREADABLE_DELIVERY_HANDLER,
      ),
    ).toHaveLength(3);
  });

  it('loses nothing when the connection drops mid-load: publishing and consuming resume', async () => {
    const reportsApp = await reports();
    const billingApp = await billing();
    await connected(billingApp);
    const documents = Array.from({ length: 40 }, () => new DocumentIssued(randomUUID(), 1));
    const relay = billingApp.get(OutboxRelay);
    const socketOf = (app: TestingModule) =>
      (
        app.get(RabbitMqTransport) as unknown as {
          link?: { connection: { connection: { stream: { destroy(error: Error): void } } } };
        }
      ).link?.connection.connection.stream;

    for (const [index, document] of documents.entries()) {
      await send(billingApp, document);
      if (index === 10) socketOf(reportsApp)?.destroy(new Error('network dropped (test)'));
      if (index === 20) socketOf(billingApp)?.destroy(new Error('network dropped (test)'));
    }
    const ids = documents.map((document) => getMetadata(document)!.messageId);
    // What failed while the link was down stays with the relay until it is back.
    await waitFor(
      async () => {
        await dataSourceOf(billingApp).query(
          `UPDATE pm_outbox SET available_at = now() - interval '1 second' WHERE dispatched_at IS NULL AND id = ANY($1)`,
          [ids],
        );
        await relay.tickOnce();
        const [{ pending }] = (await dataSourceOf(billingApp).query(
          `SELECT count(*)::int AS pending FROM pm_outbox WHERE dispatched_at IS NULL AND id = ANY($1)`,
          [ids],
        )) as [{ pending: number }];
        return pending === 0;
      },
      'every outbox row published',
      20_000,
    );
    for (const document of documents)
      await waitFor(
        () => reportLine(reportsApp, document.documentId),
        `report line ${document.documentId}`,
        20_000,
      );
    const lines = (await dataSourceOf(reportsApp).query(
      `SELECT count(*)::int AS count FROM pm_process WHERE type = 'report-line' AND correlation_key = ANY($1)`,
      [documents.map((document) => document.documentId)],
    )) as [{ count: number }];
    expect(lines[0].count).toBe(documents.length);
  }, 40_000);
});
