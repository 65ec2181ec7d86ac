import { describe, expect, it } from '@jest/globals';
import { ProcessCompensated, ProcessFailed } from 'nestjs-process-manager';
import {
  ChargePayment,
  FraudDetected,
  OrderCancelled,
  PaymentCharged,
  RefundPayment,
  ReleaseInventory,
} from './fixtures/order-messages.js';
import { stepStatuses, useOrderSaga } from './fixtures/saga-app.js';

describe('order saga: cancellation and ctx.fail() (PostgreSQL)', () => {
  const start = useOrderSaga();

  it('cancels once the step in flight has answered, undoing that step too', async () => {
    const saga = await start();
    saga.downstream.script(ChargePayment, 'silent');
    const placed = await saga.place();
    await saga.untilStep(placed.id, 'charge', { status: 'running' });

    saga.bus.publish(new OrderCancelled(placed.correlationKey, 'customer request'));
    const waiting = await saga.until(
      placed.id,
      'the cancel request',
      (i) => i.state.cancellation !== undefined,
    );
    expect(waiting).toMatchObject({ status: 'running', stateName: 'charge' });
    expect(waiting.state.cancellation).toBe('OrderCancelled: customer request');

    saga.bus.publish(new PaymentCharged(placed.correlationKey, 'pay-1'));
    await saga.untilPublished(ProcessCompensated);
    const cancelled = await saga.untilStatus(placed.id, 'cancelled');

    expect(stepStatuses(cancelled)).toEqual({
      validate: 'completed',
      reserve: 'compensated',
      charge: 'compensated',
      ship: 'pending',
    });
    expect(cancelled).toMatchObject({ stateName: 'cancelled', lastError: undefined });
    expect(saga.downstream.commandNames.slice(-2)).toEqual(['RefundPayment', 'ReleaseInventory']);
    expect(saga.downstream.sentOf(RefundPayment)).toEqual([
      new RefundPayment(placed.correlationKey, 'pay-1'),
    ]);
    expect(saga.downstream.eventsOf(ProcessFailed)).toEqual([]);
  });

  it('cancels at once while a step waits to retry', async () => {
    const saga = await start();
    saga.downstream.script(ChargePayment, 'fail');
    const placed = await saga.place();
    await saga.untilStep(placed.id, 'charge', { retryAt: '2030-01-01T00:00:01.000Z' });

    saga.bus.publish(new OrderCancelled(placed.correlationKey, 'customer request'));
    await saga.untilPublished(ProcessCompensated);
    const cancelled = await saga.untilStatus(placed.id, 'cancelled');
    await saga.advance('1s');

    expect(stepStatuses(cancelled)).toMatchObject({ reserve: 'compensated', charge: 'failed' });
    expect(saga.downstream.sentOf(ChargePayment)).toHaveLength(1);
    expect(saga.downstream.sentOf(ReleaseInventory)).toHaveLength(1);
    // The release counts as done only once its command was dispatched: a receipt step says so.
    expect(
      (await saga.history(placed.id)).slice(-2).map(({ messageType, note }) => [messageType, note]),
    ).toEqual([
      ['OrderCancelled', 'charge: running → failed (cancelled); reserve: completed → compensating'],
      ['ProcessManager.SagaCompensationSent', 'reserve: compensating → compensated'],
    ]);
  });

  it('compensates when a handler of the saga calls ctx.fail()', async () => {
    const saga = await start();
    saga.downstream.script(ChargePayment, 'silent');
    const placed = await saga.place();
    await saga.untilStep(placed.id, 'charge', { status: 'running' });

    saga.bus.publish(new FraudDetected(placed.correlationKey));
    const [failure] = await saga.untilPublished(ProcessFailed);
    const failed = await saga.untilStatus(placed.id, 'failed');

    expect(stepStatuses(failed)).toMatchObject({ reserve: 'compensated', charge: 'failed' });
    expect(failed.lastError).toBe('fraud detected');
    expect(failure).toMatchObject({ reason: 'fraud detected', requiresIntervention: false });
    expect(saga.downstream.sentOf(ReleaseInventory)).toHaveLength(1);
  });
});
