import { describe, expect, it } from '@jest/globals';
import { ProcessCompensated, ProcessFailed } from 'nestjs-process-manager';
import {
  ChargePayment,
  PaymentRefunded,
  RefundPayment,
  ReleaseInventory,
  ReserveInventory,
  ShipOrder,
  ValidateOrder,
} from './fixtures/order-messages.js';
import {
  type OrderSagaDriver,
  type OrderSagaInstance,
  stepStatuses,
  useOrderSaga,
} from './fixtures/saga-app.js';

/** Lets the charge retry twice (after 1s, then 2s), as its retry policy says. */
async function retryEveryCharge(saga: OrderSagaDriver, placed: OrderSagaInstance): Promise<void> {
  await saga.untilStep(placed.id, 'charge', { attempts: 1, retryAt: '2030-01-01T00:00:01.000Z' });
  await saga.advance('1s');
  await saga.untilStep(placed.id, 'charge', { attempts: 2, retryAt: '2030-01-01T00:00:03.000Z' });
  await saga.advance('2s');
}

describe('order saga: compensation (PostgreSQL)', () => {
  const start = useOrderSaga();

  it.each([
    {
      failingStep: 'validate',
      command: ValidateOrder,
      reason: 'validate failed: OrderRejected: invalid address',
      compensations: [],
      statuses: { validate: 'failed', reserve: 'pending', charge: 'pending', ship: 'pending' },
    },
    {
      failingStep: 'reserve',
      command: ReserveInventory,
      reason: 'reserve failed: InventoryUnavailable: out of stock',
      compensations: [],
      statuses: { validate: 'completed', reserve: 'failed', charge: 'pending', ship: 'pending' },
    },
    {
      failingStep: 'charge',
      command: ChargePayment,
      reason: 'charge failed: PaymentDeclined: card declined',
      compensations: ['ReleaseInventory'],
      statuses: { validate: 'completed', reserve: 'compensated', charge: 'failed', ship: 'pending' },
    },
    {
      failingStep: 'ship',
      command: ShipOrder,
      reason: 'ship failed: ShippingFailed: no courier',
      compensations: ['RefundPayment', 'ReleaseInventory'],
      statuses: { validate: 'completed', reserve: 'compensated', charge: 'compensated', ship: 'failed' },
    },
  ])(
    'a failure at $failingStep compensates exactly the completed steps, last first',
    async ({ failingStep, command, reason, compensations, statuses }) => {
      const saga = await start();
      saga.downstream.script(command, 'fail', 'fail', 'fail');
      const placed = await saga.place();
      if (failingStep === 'charge') await retryEveryCharge(saga, placed);
      await saga.until(
        placed.id,
        'ProcessFailed',
        () => saga.downstream.eventsOf(ProcessFailed).length === 1,
      );
      const failed = await saga.untilStatus(placed.id, 'failed');

      const forward = ['ValidateOrder', 'ReserveInventory', 'ChargePayment', 'ShipOrder'];
      const sent = saga.downstream.commandNames;
      expect(sent.filter((name) => forward.includes(name)).at(-1)).toBe(command.name);
      expect(sent.filter((name) => !forward.includes(name))).toEqual(compensations);
      expect(stepStatuses(failed)).toEqual(statuses);
      expect(failed).toMatchObject({ stateName: 'compensated', lastError: reason });
      expect(failed.state.failure).toBe(reason);
      expect(saga.downstream.eventsOf(ProcessCompensated)).toHaveLength(1);
      expect(saga.downstream.eventsOf(ProcessFailed)[0]).toMatchObject({
        reason,
        requiresIntervention: false,
      });
    },
  );

  it('waits for a compensation’s acknowledgement before undoing the step before it', async () => {
    const saga = await start();
    saga.downstream.script(ShipOrder, 'fail');
    saga.downstream.script(RefundPayment, 'silent');
    const placed = await saga.place();
    const refunding = await saga.untilStep(placed.id, 'charge', { status: 'compensating' });

    expect(refunding).toMatchObject({ status: 'compensating', stateName: 'charge:compensating' });
    expect(stepStatuses(refunding)).toMatchObject({ reserve: 'completed', ship: 'failed' });
    // The refund is dispatched once its step committed: wait for it rather than race it.
    expect(await saga.untilSent(RefundPayment)).toEqual([
      new RefundPayment(placed.correlationKey, `pay-${placed.correlationKey}`),
    ]);
    expect(saga.downstream.sentOf(ReleaseInventory)).toEqual([]);

    saga.bus.publish(new PaymentRefunded(placed.correlationKey));
    await saga.untilPublished(ProcessFailed);
    const failed = await saga.untilStatus(placed.id, 'failed');

    expect(stepStatuses(failed)).toMatchObject({ reserve: 'compensated', charge: 'compensated' });
    expect(saga.downstream.sentOf(ReleaseInventory)).toEqual([
      new ReleaseInventory(placed.correlationKey, `res-${placed.correlationKey}`),
    ]);
  });

  it('ends in intervention when a compensation still fails after its retries', async () => {
    const saga = await start();
    saga.downstream.script(ShipOrder, 'fail');
    saga.downstream.script(RefundPayment, 'fail', 'silent');
    const placed = await saga.place();
    await saga.untilStep(placed.id, 'charge', {
      status: 'compensating',
      retryAt: '2030-01-01T00:00:05.000Z',
    });
    await saga.advance('5s');
    await saga.untilStep(placed.id, 'charge', { compensationAttempts: 2 });
    await saga.advance('1m');
    await saga.untilPublished(ProcessFailed);
    const failed = await saga.untilStatus(placed.id, 'failed');

    // The original failure first, the compensation's error beside it.
    const reason =
      'ship failed: ShippingFailed: no courier; compensation of charge failed: no reply within 60000 ms';
    expect(stepStatuses(failed)).toEqual({
      validate: 'completed',
      reserve: 'completed',
      charge: 'compensation_failed',
      ship: 'failed',
    });
    expect(failed).toMatchObject({ stateName: 'compensation_failed', lastError: reason });
    expect(saga.downstream.sentOf(RefundPayment)).toHaveLength(2);
    expect(saga.downstream.sentOf(ReleaseInventory)).toEqual([]);
    expect(saga.downstream.eventsOf(ProcessFailed)[0]).toMatchObject({ reason, requiresIntervention: true });
    expect(saga.downstream.eventsOf(ProcessCompensated)).toEqual([]);

    const notes = (await saga.history(placed.id)).map((entry) => entry.note);
    expect(notes.slice(-4)).toEqual([
      'ship: running → failed (ShippingFailed: no courier); charge: completed → compensating',
      'charge compensation: attempt 1/2 failed (RefundFailed: bank unavailable), retry in 5000 ms',
      'charge compensation: attempt 2/2',
      'charge: compensating → compensation_failed (no reply within 60000 ms)',
    ]);
  });
});
