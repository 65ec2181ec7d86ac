import { describe, expect, it } from '@jest/globals';
import { ProcessCompleted } from 'nestjs-process-manager';
import { ChargePayment, InventoryReserved, OrderFulfilled, ShipOrder } from './fixtures/order-messages.js';
import { stepOf, stepStatuses, useOrderSaga } from './fixtures/saga-app.js';

describe('order saga: the happy path (PostgreSQL)', () => {
  const start = useOrderSaga();

  it('runs every step in order, merges the replies into the data and completes', async () => {
    const saga = await start();
    const placed = await saga.place({ total: 100 });
    const done = await saga.untilStatus(placed.id, 'completed');

    const orderId = placed.correlationKey;
    expect(saga.downstream.commandNames).toEqual([
      'ValidateOrder',
      'ReserveInventory',
      'ChargePayment',
      'ShipOrder',
    ]);
    expect(stepStatuses(done)).toEqual({
      validate: 'completed',
      reserve: 'completed',
      charge: 'completed',
      ship: 'completed',
    });
    expect(stepOf(done, 'charge')).toEqual({
      name: 'charge',
      status: 'completed',
      attempts: 1,
      compensationAttempts: 0,
    });
    expect(done.state.data).toEqual({
      orderId,
      total: 100,
      digital: false,
      reservationId: `res-${orderId}`,
      paymentId: `pay-${orderId}`,
      trackingNumber: `track-${orderId}`,
    });
    expect(done.stateName).toBe('completed');
    await saga.until(placed.id, 'events', () => saga.downstream.eventsOf(ProcessCompleted).length === 1);
    expect(saga.downstream.eventsOf(OrderFulfilled)).toEqual([
      new OrderFulfilled(orderId, `track-${orderId}`),
    ]);
  });

  it('builds commands with the injected services of the saga class', async () => {
    const saga = await start();
    const placed = await saga.place({ total: 40 });
    await saga.untilStatus(placed.id, 'completed');

    expect(saga.downstream.sentOf(ChargePayment)).toEqual([new ChargePayment(placed.correlationKey, 45)]);
  });

  it('records each step transition in the history', async () => {
    const saga = await start();
    const placed = await saga.place();
    await saga.untilStatus(placed.id, 'completed');

    const history = await saga.history(placed.id);
    expect(
      history.map(({ messageType, fromState, toState, status, note }) => ({
        messageType,
        fromState,
        toState,
        status,
        note,
      })),
    ).toEqual([
      {
        messageType: 'OrderPlaced',
        fromState: undefined,
        toState: 'validate',
        status: 'running',
        note: 'validate: pending → running',
      },
      {
        messageType: 'OrderValidated',
        fromState: 'validate',
        toState: 'reserve',
        status: 'running',
        note: 'validate: running → completed; reserve: pending → running',
      },
      {
        messageType: 'InventoryReserved',
        fromState: 'reserve',
        toState: 'charge',
        status: 'running',
        note: 'reserve: running → completed; charge: pending → running',
      },
      {
        messageType: 'PaymentCharged',
        fromState: 'charge',
        toState: 'ship',
        status: 'running',
        note: 'charge: running → completed; ship: pending → running',
      },
      {
        messageType: 'OrderShipped',
        fromState: 'ship',
        toState: 'completed',
        status: 'completed',
        note: 'ship: running → completed',
      },
    ]);
    expect(history[2]!.commands.map(({ type }) => type)).toEqual(['ChargePayment']);
  });

  it('skips a step whose `when` says no', async () => {
    const saga = await start();
    const placed = await saga.place({ digital: true });
    const done = await saga.untilStatus(placed.id, 'completed');

    expect(stepStatuses(done)).toMatchObject({ charge: 'completed', ship: 'skipped' });
    expect(saga.downstream.sentOf(ShipOrder)).toEqual([]);
    const last = (await saga.history(placed.id)).at(-1)!;
    expect(last.note).toBe('charge: running → completed; ship: pending → skipped');
  });

  it('lets a duplicated reply change nothing', async () => {
    const saga = await start();
    saga.downstream.script(ChargePayment, 'silent');
    const placed = await saga.place();
    await saga.untilStep(placed.id, 'charge', { status: 'running' });
    const before = await saga.processes.get(placed.id);

    saga.bus.publish(new InventoryReserved(placed.correlationKey, 'res-again'));
    const after = await saga.until(
      placed.id,
      'the duplicate handled',
      (instance) => instance.version > before!.version,
    );

    expect(after.state).toEqual(before!.state);
    expect(saga.downstream.commandNames).toEqual(['ValidateOrder', 'ReserveInventory', 'ChargePayment']);
    expect((await saga.history(placed.id)).at(-1)).toMatchObject({
      messageType: 'InventoryReserved',
      commands: [],
      note: 'InventoryReserved not expected while charge is running: nothing changed',
    });
  });
});
