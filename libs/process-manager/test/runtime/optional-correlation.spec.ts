import { describe, expect, it } from '@jest/globals';
import { UnhandledExceptionBus, type UnhandledExceptionInfo } from '@nestjs/cqrs';
import { OnEvent, type ProcessContext, ProcessManager, ProcessManagerService } from 'nestjs-process-manager';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { uniqueKey } from '../support/messages.js';

class OrderOpened {
  constructor(readonly orderId: string) {}
}
/** A payment that belongs to an order only when it carries one. */
class PaymentReceived {
  constructor(
    readonly amount: number,
    readonly orderId?: string,
  ) {}
}
/** A refund that names its order through a nested reference, when it has one. */
class RefundIssued {
  constructor(
    readonly amount: number,
    readonly ref?: { orderId: string },
  ) {}
}

@ProcessManager({ name: 'order-ledger', correlationKey: 'orderId', initialState: () => ({ paid: 0 }) })
class OrderLedger {
  @OnEvent(OrderOpened, { start: true })
  opened(_event: OrderOpened, _ctx: ProcessContext<{ paid: number }>) {}

  @OnEvent(PaymentReceived, { onMissingCorrelation: 'ignore' })
  paid(event: PaymentReceived, ctx: ProcessContext<{ paid: number }>) {
    ctx.state.paid += event.amount;
  }

  @OnEvent(RefundIssued, {
    correlate: (event: RefundIssued) => event.ref?.orderId,
    onMissingCorrelation: 'ignore',
  })
  refunded(event: RefundIssued, ctx: ProcessContext<{ paid: number }>) {
    ctx.state.paid -= event.amount;
  }
}

describe("@OnEvent({ onMissingCorrelation: 'ignore' }) (PostgreSQL)", () => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  it('treats an event without a correlation value as not for the process: no step, no dead letter', async () => {
    const app = await createApp({
      url: db.url,
      providers: [OrderLedger],
      options: { retry: { maxAttempts: 1 } },
    });
    const errors: UnhandledExceptionInfo<unknown>[] = [];
    app.get<UnhandledExceptionBus<unknown>>(UnhandledExceptionBus).subscribe((info) => errors.push(info));
    const processes = app.get(ProcessManagerService);
    const orderId = uniqueKey('order');
    await processes.deliver(new OrderOpened(orderId));

    await processes.deliver(new PaymentReceived(30));
    await processes.deliver(new RefundIssued(5));
    await processes.deliver(new PaymentReceived(40, orderId));
    await processes.deliver(new RefundIssued(10, { orderId }));

    expect(await processes.find('order-ledger', orderId)).toMatchObject({ state: { paid: 30 } });
    expect(await processes.deadLetters()).toEqual([]);
    expect(errors).toEqual([]);
  });
});
