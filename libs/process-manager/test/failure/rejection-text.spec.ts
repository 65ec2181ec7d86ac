import { describe, expect, it } from '@jest/globals';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { OnEvent, type ProcessContext, ProcessManager, ProcessManagerService } from 'nestjs-process-manager';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { uniqueKey } from '../support/messages.js';
import { query } from '../support/sql.js';
import { waitFor } from '../support/wait-for.js';

class InvoiceRaised {
  constructor(
    readonly invoiceId: string,
    readonly broken = false,
  ) {}
}
class SendInvoice {
  constructor(readonly invoiceId: string) {}
}

@ProcessManager({ name: 'invoicing', correlationKey: 'invoiceId' })
class Invoicing {
  @OnEvent(InvoiceRaised, { start: true })
  raised(event: InvoiceRaised, ctx: ProcessContext) {
    // A library that rejects with a plain object, not an Error.
    if (event.broken) throw { code: 'LEDGER_LOCKED', retryInMs: 500 };
    ctx.send(new SendInvoice(event.invoiceId));
  }
}

@CommandHandler(SendInvoice)
class SendInvoiceHandler implements ICommandHandler<SendInvoice> {
  execute(): Promise<void> {
    return Promise.reject({ status: 503, reason: 'mail server down' });
  }
}

describe('failures that are not Error objects (PostgreSQL)', () => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  it('record what was thrown, not "[object Object]"', async () => {
    const app = await createApp({
      url: db.url,
      providers: [Invoicing, SendInvoiceHandler],
      options: { retry: { maxAttempts: 1 } },
    });
    const processes = app.get(ProcessManagerService);
    const [sent, broken] = [uniqueKey('invoice'), uniqueKey('invoice')];
    await processes.deliver(new InvoiceRaised(sent));
    await processes.deliver(new InvoiceRaised(broken, true));

    const outbox = await waitFor(
      async () =>
        (
          await query<{ last_error: string }>(
            app,
            `SELECT last_error FROM pm_outbox WHERE type = 'SendInvoice' AND last_error IS NOT NULL`,
          )
        )[0],
      'the failed dispatch',
    );
    expect(outbox.last_error).toContain('{"status":503,"reason":"mail server down"}');
    const errors = (await processes.deadLetters()).map((letter) => letter.error);
    expect(errors).toContainEqual(expect.stringContaining('{"code":"LEDGER_LOCKED","retryInMs":500}'));
    expect(errors.join('\n')).not.toContain('[object Object]');
  });
});
