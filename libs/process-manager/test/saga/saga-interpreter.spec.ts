import { describe, expect, it } from '@jest/globals';
import { CommandDispatchFailed, ProcessTimedOut, type SagaState } from 'nestjs-process-manager';
import { SagaCompensationSent } from '../../src/saga/saga-compensation-sent.js';
import { retryDelay } from '../../src/saga/saga-step.js';
import { SagaStepRetryDue, SagaStepTimedOut } from '../../src/saga/saga-timers.js';
import { NOW } from '../support/fixtures/engine.js';
import { compiledOrderSaga, outgoingTypes, routingTableOf } from './fixtures/compiled-saga.js';
import { OrderFulfilment, PricingService } from './fixtures/order-fulfilment.saga.js';
import {
  InventoryReserved,
  OrderPlaced,
  OrderValidated,
  PaymentCharged,
  PaymentDeclined,
  RefundFailed,
  ShippingFailed,
} from './fixtures/order-messages.js';

/** Runs the order saga up to `step` (running), every earlier step succeeding. */
async function sagaAt(step: 'validate' | 'reserve' | 'charge' | 'ship') {
  const saga = await compiledOrderSaga();
  const replies = [
    new OrderValidated('o-1'),
    new InventoryReserved('o-1', 'r-1'),
    new PaymentCharged('o-1', 'p-1'),
  ];
  await saga.deliver(new OrderPlaced('o-1', 100));
  const count = ['validate', 'reserve', 'charge', 'ship'].indexOf(step);
  for (const reply of replies.slice(0, count)) await saga.deliver(reply);
  return saga;
}

function stateOf(saga: { instance: { state: object } | null }): SagaState<Record<string, unknown>> {
  return saga.instance!.state as SagaState<Record<string, unknown>>;
}

describe('saga interpreter (pure engine)', () => {
  it('begins: sets the data, marks every step pending and sends the first command', async () => {
    const saga = await compiledOrderSaga();
    const decision = await saga.deliver(new OrderPlaced('o-1', 100));

    expect(decision.instance).toMatchObject({ status: 'running', stateName: 'validate' });
    expect(decision.instance.state).toEqual({
      data: { orderId: 'o-1', total: 100, digital: false },
      steps: [
        { name: 'validate', status: 'running', attempts: 1, compensationAttempts: 0 },
        { name: 'reserve', status: 'pending', attempts: 0, compensationAttempts: 0 },
        { name: 'charge', status: 'pending', attempts: 0, compensationAttempts: 0 },
        { name: 'ship', status: 'pending', attempts: 0, compensationAttempts: 0 },
      ],
    });
    expect(outgoingTypes(decision)).toEqual(['ValidateOrder', 'ProcessManager.ProcessStarted']);
    expect(decision.history.note).toBe('validate: pending → running');
  });

  it('merges a success reply into the data and sends the next step', async () => {
    const saga = await sagaAt('reserve');
    const decision = await saga.deliver(new InventoryReserved('o-1', 'r-1'));

    expect(stateOf(saga).data).toEqual({ orderId: 'o-1', total: 100, digital: false, reservationId: 'r-1' });
    expect(decision.outgoing.map(({ type, payload }) => ({ type, payload }))).toEqual([
      { type: 'ChargePayment', payload: { orderId: 'o-1', amount: 105 } },
    ]);
  });

  it('schedules the step timeout as a durable timer and cancels it with the reply', async () => {
    const saga = await sagaAt('reserve');
    const charging = await saga.deliver(new InventoryReserved('o-1', 'r-1'));
    const charged = await saga.deliver(new PaymentCharged('o-1', 'p-1'));

    expect(charging.timers.scheduled).toEqual([
      expect.objectContaining({
        name: 'saga:step-timeout',
        dueAt: new Date(NOW.getTime() + 30_000),
        messageType: 'ProcessManager.SagaStepTimedOut',
        payload: { step: 'charge', phase: 'action', attempt: 1 },
      }),
    ]);
    expect(charged.timers.cancelled).toEqual(['saga:step-timeout']);
  });

  it('schedules a retry after a failure and ignores timers of an earlier attempt', async () => {
    const saga = await sagaAt('charge');
    const declined = await saga.deliver(new PaymentDeclined('o-1', 'card declined'));
    expect(declined.timers).toMatchObject({
      scheduled: [
        expect.objectContaining({
          name: 'saga:step-retry',
          dueAt: new Date(NOW.getTime() + 1_000),
          payload: { step: 'charge', phase: 'action', attempt: 1 },
        }),
      ],
      cancelled: ['saga:step-timeout'],
    });

    const stale = await saga.deliver(new SagaStepTimedOut('charge', 'action', 1));
    expect(stale.outgoing).toEqual([]);
    expect(stale.history.note).toBe('stale timer of charge attempt 1: nothing changed');

    const retried = await saga.deliver(new SagaStepRetryDue('charge', 'action', 1));
    expect(outgoingTypes(retried)).toEqual(['ChargePayment']);
    expect(stateOf(saga).steps[2]).toEqual({
      name: 'charge',
      status: 'running',
      attempts: 2,
      compensationAttempts: 0,
      error: 'PaymentDeclined: card declined',
    });
  });

  it('compensates a step without ack once its command was sent, then publishes ProcessCompensated and ProcessFailed', async () => {
    const saga = await sagaAt('charge');
    await saga.deliver(new PaymentDeclined('o-1', 'card declined'));
    await saga.deliver(new SagaStepRetryDue('charge', 'action', 1));
    await saga.deliver(new PaymentDeclined('o-1', 'card declined'));
    await saga.deliver(new SagaStepRetryDue('charge', 'action', 2));
    const releasing = await saga.deliver(new PaymentDeclined('o-1', 'card declined'));

    expect(outgoingTypes(releasing)).toEqual(['ReleaseInventory']);
    expect(releasing.instance).toMatchObject({ status: 'compensating', stateName: 'reserve:compensating' });
    expect(stateOf(saga).steps[1]).toMatchObject({ name: 'reserve', status: 'compensating' });

    const decision = await saga.deliver(new SagaCompensationSent('reserve', 1, 'm-release'));
    expect(outgoingTypes(decision)).toEqual([
      'ProcessManager.ProcessCompensated',
      'ProcessManager.ProcessFailed',
    ]);
    expect(decision.outgoing[1]!.payload).toMatchObject({ requiresIntervention: false });
    expect(decision.instance).toMatchObject({ status: 'failed', stateName: 'compensated' });
    expect(decision.history.note).toBe('reserve: compensating → compensated');
    expect(decision.timers.cancelAll).toBe(true);
  });

  it('asks for the receipt of exactly the compensation in flight, and ignores a stale one', async () => {
    const routes = await routingTableOf([PricingService, OrderFulfilment]);
    const receiptFor = routes.process('order-fulfilment')!.onCommandSent!;
    const saga = await sagaAt('charge');
    expect(receiptFor(saga.instance!, { type: 'ChargePayment', messageId: 'm-0' })).toBeUndefined();
    await saga.deliver(new ProcessTimedOut(NOW.toISOString()));

    expect(receiptFor(saga.instance!, { type: 'ReleaseInventory', messageId: 'm-1' })).toEqual(
      new SagaCompensationSent('reserve', 1, 'm-1'),
    );
    expect(receiptFor(saga.instance!, { type: 'RefundPayment', messageId: 'm-2' })).toBeUndefined();
    const stale = await saga.deliver(new SagaCompensationSent('reserve', 2, 'm-old'));
    expect(stale.instance).toMatchObject({ status: 'compensating', stateName: 'reserve:compensating' });
    expect(stale.history.note).toBe('stale receipt of reserve compensation 2: nothing changed');
  });

  it('treats a compensation without ack that could not be dispatched as a failed compensation', async () => {
    const saga = await sagaAt('charge');
    await saga.deliver(new ProcessTimedOut(NOW.toISOString()));
    const decision = await saga.deliver(new CommandDispatchFailed('ReleaseInventory', 'm-1', 'no handler'));

    expect(decision.instance).toMatchObject({ status: 'failed', stateName: 'compensation_failed' });
    expect(stateOf(saga).steps.map(({ status }) => status)).toEqual([
      'completed',
      'compensation_failed',
      'failed',
      'pending',
    ]);
    expect(outgoingTypes(decision)).toEqual(['ProcessManager.ProcessFailed']);
    expect(decision.outgoing[0]!.payload).toMatchObject({ requiresIntervention: true });
  });

  it('asks for intervention when a compensation fails for good', async () => {
    const saga = await sagaAt('ship');
    const refunding = await saga.deliver(new ShippingFailed('o-1', 'no courier'));
    expect(refunding.instance).toMatchObject({ status: 'compensating', stateName: 'charge:compensating' });
    await saga.deliver(new RefundFailed('o-1', 'bank unavailable'));
    await saga.deliver(new SagaStepRetryDue('charge', 'compensation', 1));
    const decision = await saga.deliver(new RefundFailed('o-1', 'bank unavailable'));

    expect(outgoingTypes(decision)).toEqual(['ProcessManager.ProcessFailed']);
    expect(decision.outgoing[0]!.payload).toMatchObject({
      reason:
        'ship failed: ShippingFailed: no courier; compensation of charge failed: RefundFailed: bank unavailable',
      requiresIntervention: true,
    });
    expect(decision.history.error).toBe(
      'ship failed: ShippingFailed: no courier; compensation of charge failed: RefundFailed: bank unavailable',
    );
  });

  it('treats a compensation command that could not be dispatched as a failed compensation', async () => {
    const saga = await sagaAt('ship');
    await saga.deliver(new ShippingFailed('o-1', 'no courier'));
    const decision = await saga.deliver(new CommandDispatchFailed('RefundPayment', 'm-9', 'no handler'));

    expect(decision.instance).toMatchObject({ status: 'failed', stateName: 'compensation_failed' });
    expect(stateOf(saga).steps.map(({ status }) => status)).toEqual([
      'completed',
      'completed',
      'compensation_failed',
      'failed',
    ]);
    expect(decision.outgoing[0]!.payload).toMatchObject({ requiresIntervention: true });
  });

  it('compensates when the process deadline passes (built-in ProcessTimedOut)', async () => {
    const saga = await sagaAt('charge');
    const timedOut = await saga.deliver(new ProcessTimedOut(NOW.toISOString()));
    expect(outgoingTypes(timedOut)).toEqual(['ReleaseInventory']);
    expect(timedOut.history.note).toBe(
      'charge: running → failed (timed out); reserve: completed → compensating',
    );
    const decision = await saga.deliver(new SagaCompensationSent('reserve', 1, 'm-release'));

    expect(decision.instance).toMatchObject({
      status: 'failed',
      stateName: 'compensated',
      lastError: 'timed out',
    });
    expect(outgoingTypes(decision)).toEqual([
      'ProcessManager.ProcessCompensated',
      'ProcessManager.ProcessFailed',
    ]);
  });

  it('grows the retry delay by the factor, up to maxDelay', () => {
    const retry = { attempts: 5, delayMs: 1_000, factor: 2, maxDelayMs: 5_000 };
    expect([1, 2, 3, 4].map((attempt) => retryDelay(retry, attempt))).toEqual([1_000, 2_000, 4_000, 5_000]);
  });
});
