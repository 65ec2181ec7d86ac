import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import {
  DeadLetterNotFoundError,
  getMetadata,
  OnEvent,
  ProcessManagerService,
  withMetadata,
} from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { PROCESS_STORE } from '../../src/ports/process-store.js';
import type { StepStore } from '../../src/ports/step-store.js';
import { ProcessRunner } from '../../src/runtime/process-runner.js';
import { OutboxRelay, TimerPoller } from '../../src/scheduling/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createTestApp, dataSourceOf } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

class InvoicePaid {
  constructor(readonly invoiceId: string) {}
}
class SendReceipt {
  constructor(readonly invoiceId: string) {}
}

@Injectable()
class Mailer {
  readonly sent: SendReceipt[] = [];
  failuresLeft = 0;
}

@CommandHandler(SendReceipt)
class SendReceiptHandler implements ICommandHandler<SendReceipt> {
  constructor(private readonly mailer: Mailer) {}
  async execute(command: SendReceipt) {
    if (this.mailer.failuresLeft-- > 0) throw new Error('mail server down');
    this.mailer.sent.push(command);
  }
}

class InvoiceVoided {
  constructor(readonly invoiceId: string) {}
}

/** `durable: false`: sends directly, no inbox and no outbox row. */
@Injectable()
class VoidNotices {
  @OnEvent(InvoiceVoided, { durable: false })
  onVoided(event: InvoiceVoided) {
    return new SendReceipt(event.invoiceId);
  }
}

@Injectable()
class Receipts {
  calls = 0;
  failing = false;
  @OnEvent(InvoicePaid)
  onPaid(event: InvoicePaid) {
    if (this.failing) throw new Error('template missing');
    this.calls++;
    return new SendReceipt(event.invoiceId);
  }
}

describe('durable stateless @OnEvent', () => {
  let db: TestDatabase;
  let app: Awaited<ReturnType<typeof createTestApp>>;
  const clock = new VirtualClock();

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });
  afterEach(async () => {
    await app.close();
  });

  const boot = () =>
    createTestApp({
      url: db.url,
      clock,
      providers: [Mailer, SendReceiptHandler, Receipts],
      options: { retry: { maxAttempts: 5 } },
    });

  it('handles a redelivered event once (inbox) and links the command to it', async () => {
    app = await boot();
    const event = withMetadata(new InvoicePaid('inv-1'), {
      messageId: 'paid-inv-1',
      occurredAt: clock.now(),
    });
    app.get(EventBus).publish(event);
    await waitFor(() => app.get(Mailer).sent.length === 1, 'the receipt');
    app
      .get(EventBus)
      .publish(withMetadata(new InvoicePaid('inv-1'), { messageId: 'paid-inv-1', occurredAt: clock.now() }));
    await app.get(ProcessRunner).whenIdle();
    const [{ count }] = await dataSourceOf(app).query(
      `SELECT count(*)::int AS count FROM pm_inbox WHERE message_id = 'paid-inv-1'`,
    );
    expect(count).toBe(1);
    expect(app.get(Receipts).calls).toBe(1); // the known duplicate did not run the handler
    expect(app.get(Mailer).sent).toHaveLength(1);
    expect(getMetadata(app.get(Mailer).sent[0]!)).toMatchObject({
      causationId: 'paid-inv-1',
      correlationId: 'paid-inv-1',
    });
  });

  it('asks the inbox before the handler only for an event that may have been handled before', async () => {
    app = await boot();
    const lookups = jest.spyOn(app.get<StepStore>(PROCESS_STORE), 'hasHandled');
    app.get(EventBus).publish(new InvoicePaid('fresh')); // its messageId is minted as it is taken
    app
      .get(EventBus)
      .publish(withMetadata(new InvoicePaid('known'), { messageId: 'paid-known', occurredAt: clock.now() }));
    await waitFor(() => app.get(Mailer).sent.length === 2, 'both receipts');

    expect(lookups.mock.calls.map(([, messageId]) => messageId)).toEqual(['paid-known']);
  });

  it('takes many events at once, each delivered twice at the same moment: one receipt each', async () => {
    app = await boot();
    const invoices = Array.from({ length: 200 }, (_, n) => `bulk-${n}`);
    for (const invoiceId of invoices)
      for (let copy = 0; copy < 2; copy++)
        app.get(EventBus).publish(
          withMetadata(new InvoicePaid(invoiceId), {
            messageId: `paid-${invoiceId}`,
            occurredAt: clock.now(),
          }),
        );

    const outboxOf = async () =>
      (await dataSourceOf(app).query(
        `SELECT payload->>'invoiceId' AS "invoiceId", dispatched_at IS NOT NULL AS dispatched FROM pm_outbox
         WHERE payload->>'invoiceId' LIKE 'bulk-%'`,
      )) as { invoiceId: string; dispatched: boolean }[];
    const rows = await waitFor(async () => {
      const found = await outboxOf();
      return found.length === invoices.length && found.every((row) => row.dispatched) && found;
    }, 'a dispatched receipt row per invoice');
    await waitFor(() => app.get(Receipts).calls >= invoices.length, 'the handler for every invoice');

    expect(rows.map((row) => row.invoiceId).sort()).toEqual([...invoices].sort());
    const [{ marks }] = await dataSourceOf(app).query(
      `SELECT count(*)::int AS marks FROM pm_inbox WHERE message_id LIKE 'paid-bulk-%'`,
    );
    expect(marks).toBe(invoices.length);
    const sent = app.get(Mailer).sent.map((command) => command.invoiceId);
    expect(sent.sort()).toEqual([...invoices].sort());
  });

  it('keeps a returned command whose dispatch failed for the relay', async () => {
    app = await boot();
    app.get(Mailer).failuresLeft = 1;
    app.get(EventBus).publish(new InvoicePaid('inv-2'));
    await waitFor(async () => {
      const [row] = await dataSourceOf(app).query(
        `SELECT attempts FROM pm_outbox WHERE payload->>'invoiceId' = 'inv-2'`,
      );
      return row?.attempts === 1;
    }, 'the failed attempt on the row');
    expect(app.get(Mailer).sent).toHaveLength(0);
    clock.advance('1m');
    await app.get(OutboxRelay).tickOnce();
    expect(app.get(Mailer).sent.map((c) => c.invoiceId)).toEqual(['inv-2']);
    expect(app.get(Receipts).calls).toBe(1);
  });

  it('dead-letters a stateless handler that keeps failing, and retryDeadLetter() re-runs it', async () => {
    app = await createTestApp({
      url: db.url,
      clock,
      providers: [Mailer, SendReceiptHandler, Receipts],
      options: { retry: { maxAttempts: 1 } },
    });
    const receipts = app.get(Receipts);
    receipts.failing = true;
    app.get(EventBus).publish(new InvoicePaid('inv-3'));
    const [deadLetter] = await waitFor(async () => {
      const letters = await app.get(ProcessManagerService).deadLetters();
      return letters.length === 1 && letters;
    }, 'the dead letter');
    expect(deadLetter).toMatchObject({
      handler: 'Receipts.onPaid',
      processId: undefined,
      messageType: 'InvoicePaid',
    });

    receipts.failing = false;
    await app.get(ProcessManagerService).retryDeadLetter(deadLetter.id);
    expect(app.get(Mailer).sent.map((c) => c.invoiceId)).toEqual(['inv-3']);
    expect(await app.get(ProcessManagerService).deadLetters()).toEqual([]);
    await expect(app.get(ProcessManagerService).retryDeadLetter(deadLetter.id)).rejects.toBeInstanceOf(
      DeadLetterNotFoundError,
    );
  });

  it('retries a direct (durable: false) send that failed as the handler’s failure, with no outbox row', async () => {
    app = await createTestApp({
      url: db.url,
      clock,
      providers: [Mailer, SendReceiptHandler, VoidNotices],
      options: { retry: { maxAttempts: 3, initialDelayMs: 1_000 } },
    });
    app.get(Mailer).failuresLeft = 1;
    app.get(EventBus).publish(new InvoiceVoided('inv-4'));
    await waitFor(async () => {
      const [row] = await dataSourceOf(app).query(`SELECT status, attempts FROM pm_dead_letter`);
      return row?.status === 'retrying' && row.attempts === 1;
    }, 'a retry of the failed direct send');
    clock.advance('1m');
    await app.get(TimerPoller).tickOnce();
    expect(app.get(Mailer).sent.map((c) => c.invoiceId)).toEqual(['inv-4']);
    expect(
      await dataSourceOf(app).query(`SELECT id FROM pm_outbox WHERE payload->>'invoiceId' = 'inv-4'`),
    ).toEqual([]);
    expect(await dataSourceOf(app).query(`SELECT id FROM pm_dead_letter`)).toEqual([]);
  });
});
