import { describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import {
  type Dispatchable,
  getMetadata,
  MessageTransport,
  OnEvent,
  Outbox,
  type ProcessContext,
  ProcessManager,
  ProcessManagerService,
} from 'nestjs-process-manager';
import { OutboxDispatcher } from '../../src/runtime/outbox.dispatcher.js';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { dataSourceOf } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

class InvoiceRaised {
  constructor(readonly invoiceId: string) {}
}
class PrintInvoice {
  constructor(readonly invoiceId: string) {}
}
class ArchiveInvoice {
  constructor(readonly invoiceId: string) {}
}

@ProcessManager({ name: 'invoice', correlationKey: 'invoiceId' })
class InvoiceProcess {
  @OnEvent(InvoiceRaised, { start: true })
  raised(_event: InvoiceRaised, ctx: ProcessContext<{ raised: boolean }>) {
    ctx.state.raised = true;
  }
}

@Injectable()
class Handled {
  readonly commands: string[] = [];
}

@CommandHandler(PrintInvoice)
class PrintInvoiceHandler implements ICommandHandler<PrintInvoice> {
  constructor(private readonly handled: Handled) {}
  async execute(command: PrintInvoice) {
    this.handled.commands.push(`print ${command.invoiceId}`);
  }
}

@CommandHandler(ArchiveInvoice)
class ArchiveInvoiceHandler implements ICommandHandler<ArchiveInvoice> {
  constructor(private readonly handled: Handled) {}
  async execute(command: ArchiveInvoice) {
    this.handled.commands.push(`archive ${command.invoiceId}`);
  }
}

/** A broker in memory: takes InvoiceRaised and PrintInvoice; `refuse` makes every publish fail. */
class RecordingTransport extends MessageTransport {
  readonly published: Dispatchable[] = [];
  refuse = false;
  publishes(type: string): boolean {
    return type === 'InvoiceRaised' || type === 'PrintInvoice';
  }
  async publish(message: Dispatchable): Promise<void> {
    if (this.refuse) throw new Error('broker said no');
    this.published.push(message);
  }
}

describe('the MessageTransport port (PostgreSQL)', () => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  const boot = async () => {
    const app = await createApp({
      url: db.url,
      providers: [InvoiceProcess, Handled, PrintInvoiceHandler, ArchiveInvoiceHandler],
    });
    const transport = new RecordingTransport();
    app.get(OutboxDispatcher).useTransport(transport);
    return { app, transport };
  };
  const send = (app: TestingModule, ...messages: object[]) =>
    dataSourceOf(app).transaction((manager) => app.get(Outbox).send(manager, ...messages));
  const row = async (app: TestingModule, message: object) => {
    const [found] = (await dataSourceOf(app).query(
      `SELECT dispatched_at, attempts, last_error FROM pm_outbox WHERE id = $1`,
      [getMetadata(message)!.messageId],
    )) as { dispatched_at: Date | null; attempts: number; last_error: string | null }[];
    return found;
  };

  it('publishes an event of a transported type and delivers it to this app too; a transported command leaves instead of reaching the CommandBus', async () => {
    const { app, transport } = await boot();
    const id = randomUUID();
    const raised = new InvoiceRaised(id);
    const print = new PrintInvoice(id);
    const archive = new ArchiveInvoice(id);
    await send(app, raised, print, archive);
    for (const message of [raised, print, archive])
      await waitFor(async () => (await row(app, message))?.dispatched_at, 'every row dispatched');

    expect(transport.published.map((message) => [message.kind, message.type])).toEqual([
      ['event', 'InvoiceRaised'],
      ['command', 'PrintInvoice'],
    ]);
    expect(transport.published[0]!.metadata.messageId).toBe(getMetadata(raised)!.messageId);
    expect(await app.get(ProcessManagerService).find('invoice', id)).toMatchObject({
      state: { raised: true },
    });
    expect(app.get(Handled).commands).toEqual([`archive ${id}`]);
  });

  it('leaves a message whose publish failed with the relay: not marked, the error on its row', async () => {
    const { app, transport } = await boot();
    transport.refuse = true;
    const print = new PrintInvoice(randomUUID());
    await send(app, print);

    await waitFor(async () => (await row(app, print))?.attempts, 'the failed publish recorded');
    expect(await row(app, print)).toMatchObject({
      dispatched_at: null,
      attempts: 1,
      last_error: expect.stringContaining('broker said no'),
    });
    expect(app.get(Handled).commands).toEqual([]);
  });
});
