import { describe, expect, it } from '@jest/globals';
import { InvalidProcessStatusError, ProcessCompensated, ProcessFailed } from 'nestjs-process-manager';
import { ChargePayment, PaymentCharged, RefundPayment, ReleaseInventory } from './fixtures/order-messages.js';
import { stepStatuses, useOrderSaga } from './fixtures/saga-app.js';

describe('order saga: ProcessManagerService.cancel() (PostgreSQL)', () => {
  const start = useOrderSaga();

  it('compensates what the saga did, last first, once the step in flight has answered', async () => {
    const saga = await start();
    saga.downstream.script(ChargePayment, 'silent');
    const placed = await saga.place();
    await saga.untilStep(placed.id, 'charge', { status: 'running' });

    await saga.processes.cancel(placed.id, 'customer called', { actor: 'ops' });
    const waiting = await saga.processes.get(placed.id);
    expect(waiting).toMatchObject({ status: 'running', stateName: 'charge' });
    expect(waiting!.state).toMatchObject({ cancellation: 'cancel(): customer called (by ops)' });
    const sentBefore = saga.downstream.commandNames.length;

    saga.bus.publish(new PaymentCharged(placed.correlationKey, 'pay-1'));
    await saga.untilPublished(ProcessCompensated);
    const cancelled = await saga.untilStatus(placed.id, 'cancelled');

    expect(saga.downstream.commandNames.slice(sentBefore)).toEqual(['RefundPayment', 'ReleaseInventory']);
    expect(saga.downstream.sentOf(RefundPayment)).toEqual([
      new RefundPayment(placed.correlationKey, 'pay-1'),
    ]);
    expect(stepStatuses(cancelled)).toEqual({
      validate: 'completed',
      reserve: 'compensated',
      charge: 'compensated',
      ship: 'pending',
    });
    expect(cancelled).toMatchObject({ stateName: 'cancelled', lastError: undefined });
    expect(saga.downstream.eventsOf(ProcessFailed)).toEqual([]);
    const history = await saga.history(placed.id);
    expect(history.map(({ messageType }) => messageType)).toContain('ProcessManager.ProcessCancelRequested');
    expect(history.find((entry) => entry.messageType === 'ProcessManager.ProcessCancelRequested')?.note).toBe(
      'cancel requested (cancel(): customer called (by ops)): compensation starts when charge answers',
    );
  });

  it('compensates at once while the step in flight waits to retry', async () => {
    const saga = await start();
    saga.downstream.script(ChargePayment, 'fail');
    const placed = await saga.place();
    await saga.untilStep(placed.id, 'charge', { retryAt: '2030-01-01T00:00:01.000Z' });
    const sentBefore = saga.downstream.commandNames.length;

    await saga.processes.cancel(placed.id, 'customer called');
    const cancelled = await saga.untilStatus(placed.id, 'cancelled');

    expect(saga.downstream.commandNames.slice(sentBefore)).toEqual(['ReleaseInventory']);
    expect(stepStatuses(cancelled)).toMatchObject({ reserve: 'compensated', charge: 'failed' });
  });

  it('with compensate: false ends the saga at once and releases nothing', async () => {
    const saga = await start();
    saga.downstream.script(ChargePayment, 'silent');
    const placed = await saga.place();
    await saga.untilStep(placed.id, 'charge', { status: 'running' });
    const sentBefore = saga.downstream.commandNames.length;

    await saga.processes.cancel(placed.id, 'duplicate order', { compensate: false });
    const cancelled = await saga.untilStatus(placed.id, 'cancelled');

    expect(stepStatuses(cancelled)).toMatchObject({ reserve: 'completed', charge: 'running' });
    expect(saga.downstream.commandNames.slice(sentBefore)).toEqual([]);
    expect(saga.downstream.sentOf(ReleaseInventory)).toEqual([]);
    expect(saga.downstream.eventsOf(ProcessCompensated)).toEqual([]);
  });

  it('refuses to cancel a saga that has ended', async () => {
    const saga = await start();
    const placed = await saga.place();
    await saga.untilStatus(placed.id, 'completed');

    await expect(saga.processes.cancel(placed.id, 'too late')).rejects.toThrow(InvalidProcessStatusError);
  });
});
