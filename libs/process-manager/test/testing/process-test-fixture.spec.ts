import { AssertionError } from 'node:assert';
import { afterEach, describe, expect, it } from '@jest/globals';
import { OnEvent, ProcessManager, type ProcessContext } from 'nestjs-process-manager';
import { ProcessTestFixture } from 'nestjs-process-manager/testing';

class OrderPlaced {
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {}
}
class PaymentReceived {
  constructor(readonly orderId: string) {}
}
class PaymentOverdue {
  constructor(readonly orderId: string) {}
}
class RequestPayment {
  constructor(
    readonly orderId: string,
    readonly amount: number,
  ) {}
}
class ShipOrder {
  constructor(readonly orderId: string) {}
}
class CancelOrder {
  constructor(readonly orderId: string) {}
}

interface OrderState {
  total?: number;
  paid?: boolean;
}

@ProcessManager({ name: 'fixture-order', correlationKey: 'orderId' })
class OrderProcess {
  @OnEvent(OrderPlaced, { start: true, to: 'awaiting-payment' })
  placed(event: OrderPlaced, ctx: ProcessContext<OrderState>) {
    ctx.state.total = event.total;
    ctx.send(new RequestPayment(event.orderId, event.total));
    ctx.schedule(new PaymentOverdue(event.orderId), { after: '15m' }, 'payment-overdue');
  }

  @OnEvent(PaymentReceived, { from: 'awaiting-payment', to: 'paid' })
  paid(event: PaymentReceived, ctx: ProcessContext<OrderState>) {
    ctx.state.paid = true;
    ctx.send(new ShipOrder(event.orderId));
    ctx.complete();
  }

  @OnEvent(PaymentOverdue, { from: 'awaiting-payment' })
  overdue(event: PaymentOverdue, ctx: ProcessContext<OrderState>) {
    ctx.send(new CancelOrder(event.orderId));
    ctx.fail('payment overdue');
  }
}

describe('ProcessTestFixture', () => {
  let fixture: ProcessTestFixture;
  afterEach(async () => {
    await fixture.close();
  });

  it('runs given/when and checks commands, state, status and named state', async () => {
    fixture = await ProcessTestFixture.create(OrderProcess);
    await fixture.given(new OrderPlaced('o-1', 42));
    await fixture.expectTimers([{ name: 'payment-overdue', message: new PaymentOverdue('o-1') }]);
    await fixture.when(new PaymentReceived('o-1'));
    fixture.expectCommands(new ShipOrder('o-1'));
    await fixture.expectState({ paid: true, total: 42 });
    await fixture.expectStatus('completed');
    await fixture.expectStateName('paid');
  });

  it('fires due timers when virtual time advances', async () => {
    fixture = await ProcessTestFixture.create(OrderProcess);
    await fixture.given(new OrderPlaced('o-2', 10));
    await fixture.advanceTime('14m');
    fixture.expectCommands();
    await fixture.advanceTime('1m');
    fixture.expectCommands(new CancelOrder('o-2'));
    await fixture.expectStatus('failed');
  });

  it('fails with a readable diff of expected against actual', async () => {
    fixture = await ProcessTestFixture.create(OrderProcess);
    await fixture.when(new OrderPlaced('o-3', 5));
    let failure: unknown;
    try {
      fixture.expectCommands(new RequestPayment('o-3', 6));
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(AssertionError);
    const assertion = failure as AssertionError;
    // One diff: the runner prints it from actual/expected; the message only says what differs.
    expect(assertion.message).toBe('Commands sent differ');
    expect(assertion.actual).toEqual([{ type: 'RequestPayment', payload: { orderId: 'o-3', amount: 5 } }]);
    expect(assertion.expected).toEqual([{ type: 'RequestPayment', payload: { orderId: 'o-3', amount: 6 } }]);
  });

  it("compares the process's own timers, not its deadline, which expectDeadline checks", async () => {
    fixture = await ProcessTestFixture.create(DeadlineOrderProcess);
    await fixture.given(new OrderPlaced('o-4', 1));

    await fixture.expectTimers([
      { name: 'payment-overdue', dueAt: '2030-01-01T00:15:00.000Z' },
      { name: undefined, message: new PaymentOverdue('o-4') },
    ]);
    await fixture.expectDeadline();
    await fixture.expectDeadline(new Date('2030-01-08T00:00:00.000Z'));
    await expect(fixture.expectDeadline(false)).rejects.toThrow('Deadline of fixture-deadline-order');
    await fixture.when(new PaymentReceived('o-4'));
    await fixture.expectTimers([]);
    await fixture.expectDeadline(false);
  });

  it('shows a timer nobody expected in full', async () => {
    fixture = await ProcessTestFixture.create(DeadlineOrderProcess);
    await fixture.given(new OrderPlaced('o-5', 1));
    const failure = await fixture.expectTimers([{ name: 'payment-overdue' }]).then(
      () => undefined,
      (error: unknown) => error as AssertionError,
    );

    expect(failure?.message).toMatch(/^Pending timers of fixture-deadline-order \S+ differ$/);
    expect(failure?.actual).toEqual([
      { name: 'payment-overdue' },
      {
        name: undefined,
        message: { type: 'PaymentOverdue', payload: { orderId: 'o-5' } },
        dueAt: '2030-01-01T01:00:00.000Z',
      },
    ]);
    expect(failure?.expected).toEqual([{ name: 'payment-overdue' }]);
  });
});

@ProcessManager({ name: 'fixture-deadline-order', correlationKey: 'orderId', timeout: '7d' })
class DeadlineOrderProcess {
  @OnEvent(OrderPlaced, { start: true })
  placed(event: OrderPlaced, ctx: ProcessContext<OrderState>) {
    ctx.schedule(new PaymentOverdue(event.orderId), { after: '15m' }, 'payment-overdue');
    ctx.schedule(new PaymentOverdue(event.orderId), { after: '1h' });
  }

  @OnEvent(PaymentReceived)
  paid(_event: PaymentReceived, ctx: ProcessContext<OrderState>) {
    ctx.complete();
  }

  @OnEvent(PaymentOverdue)
  overdue(_event: PaymentOverdue, ctx: ProcessContext<OrderState>) {
    ctx.fail('payment overdue');
  }
}
