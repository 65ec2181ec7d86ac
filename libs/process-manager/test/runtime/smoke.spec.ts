import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CommandBus, CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { OnEvent, ProcessManager, type ProcessContext, ProcessManagerService } from 'nestjs-process-manager';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createTestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

class OrderPlaced {
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {}
}
class PaymentReceived {
  constructor(readonly orderId: string) {}
}
class ChargeCard {
  constructor(
    readonly orderId: string,
    readonly amount: number,
  ) {}
}

const charged: ChargeCard[] = [];
@CommandHandler(ChargeCard)
class ChargeCardHandler implements ICommandHandler<ChargeCard> {
  async execute(command: ChargeCard) {
    charged.push(command);
  }
}

@ProcessManager({ name: 'order', correlationKey: 'orderId' })
class OrderProcess {
  @OnEvent(OrderPlaced, { start: true, to: 'awaiting-payment' })
  onPlaced(event: OrderPlaced, ctx: ProcessContext<{ total?: number }>) {
    ctx.state.total = event.total;
    ctx.send(new ChargeCard(event.orderId, event.total));
  }
  @OnEvent(PaymentReceived, { from: 'awaiting-payment', to: 'paid' })
  onPaid(_event: PaymentReceived, ctx: ProcessContext) {
    ctx.complete();
  }
}

describe('smoke', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('runs a process end to end', async () => {
    const app = await createTestApp({ url: db.url, providers: [OrderProcess, ChargeCardHandler] });
    try {
      app.get(EventBus).publish(new OrderPlaced('o-1', 42));
      await waitFor(() => charged.length === 1, 'ChargeCard');
      app.get(EventBus).publish(new PaymentReceived('o-1'));
      const service = app.get(ProcessManagerService);
      const { items } = await service.list();
      await waitFor(async () => (await service.get(items[0]!.id))?.status === 'completed', 'completed');
      const history = await service.history(items[0]!.id);
      expect(history.map((h) => h.messageType)).toEqual(['OrderPlaced', 'PaymentReceived']);
      expect(charged[0]).toBeInstanceOf(ChargeCard);
      void app.get(CommandBus);
    } finally {
      await app.close();
    }
  });
});
