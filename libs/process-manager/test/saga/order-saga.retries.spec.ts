import { describe, expect, it } from '@jest/globals';
import { ProcessFailed } from 'nestjs-process-manager';
import { ChargePayment, PaymentCharged, ReleaseInventory } from './fixtures/order-messages.js';
import { stepOf, stepStatuses, useOrderSaga } from './fixtures/saga-app.js';

describe('order saga: step retries and timeouts (PostgreSQL)', () => {
  const start = useOrderSaga();

  it('re-sends a declined step with exponential backoff and succeeds on the third attempt', async () => {
    const saga = await start();
    saga.downstream.script(ChargePayment, 'fail', 'fail', 'ok');
    const placed = await saga.place();
    await saga.untilStep(placed.id, 'charge', { attempts: 1, retryAt: '2030-01-01T00:00:01.000Z' });

    await saga.advance('999ms');
    expect(saga.downstream.sentOf(ChargePayment)).toHaveLength(1);
    await saga.advance('1ms');
    await saga.untilStep(placed.id, 'charge', { attempts: 2, retryAt: '2030-01-01T00:00:03.000Z' });
    await saga.advance('2s');
    const done = await saga.untilStatus(placed.id, 'completed');

    expect(saga.downstream.sentOf(ChargePayment)).toHaveLength(3);
    expect(stepOf(done, 'charge')).toEqual({
      name: 'charge',
      status: 'completed',
      attempts: 3,
      compensationAttempts: 0,
    });
    const history = await saga.history(placed.id);
    expect(history.map(({ messageType, note }) => ({ messageType, note })).slice(3, 8)).toEqual([
      {
        messageType: 'PaymentDeclined',
        note: 'charge: attempt 1/3 failed (PaymentDeclined: card declined), retry in 1000 ms',
      },
      { messageType: 'ProcessManager.SagaStepRetryDue', note: 'charge: attempt 2/3' },
      {
        messageType: 'PaymentDeclined',
        note: 'charge: attempt 2/3 failed (PaymentDeclined: card declined), retry in 2000 ms',
      },
      { messageType: 'ProcessManager.SagaStepRetryDue', note: 'charge: attempt 3/3' },
      { messageType: 'PaymentCharged', note: 'charge: running → completed; ship: pending → running' },
    ]);
  });

  it('counts a step timeout as a failed attempt, retries, then compensates', async () => {
    const saga = await start();
    saga.downstream.script(ChargePayment, 'silent', 'silent', 'silent');
    const placed = await saga.place();
    await saga.untilStep(placed.id, 'charge', { attempts: 1 });

    await saga.advance('30s');
    await saga.untilStep(placed.id, 'charge', { retryAt: '2030-01-01T00:00:31.000Z' });
    await saga.advance('1s');
    await saga.untilStep(placed.id, 'charge', { attempts: 2 });
    await saga.advance('30s');
    await saga.untilStep(placed.id, 'charge', { retryAt: '2030-01-01T00:01:03.000Z' });
    await saga.advance('2s');
    await saga.untilStep(placed.id, 'charge', { attempts: 3 });
    await saga.advance('30s');
    await saga.untilPublished(ProcessFailed);
    const failed = await saga.untilStatus(placed.id, 'failed');

    expect(saga.downstream.sentOf(ChargePayment)).toHaveLength(3);
    expect(stepStatuses(failed)).toEqual({
      validate: 'completed',
      reserve: 'compensated',
      charge: 'failed',
      ship: 'pending',
    });
    expect(stepOf(failed, 'charge').error).toBe('no reply within 30000 ms');
    expect(saga.downstream.commandNames.at(-1)).toBe('ReleaseInventory');
    const timeouts = (await saga.history(placed.id)).filter(
      (entry) => entry.messageType === 'ProcessManager.SagaStepTimedOut',
    );
    expect(timeouts.map((entry) => entry.note)).toEqual([
      'charge: attempt 1/3 failed (no reply within 30000 ms), retry in 1000 ms',
      'charge: attempt 2/3 failed (no reply within 30000 ms), retry in 2000 ms',
      'charge: running → failed (no reply within 30000 ms); reserve: completed → compensating',
    ]);
    expect((await saga.history(placed.id)).at(-1)).toMatchObject({
      messageType: 'ProcessManager.SagaCompensationSent',
      note: 'reserve: compensating → compensated',
      status: 'failed',
    });
  });

  it('accepts a late success while waiting to retry, and drops the retry', async () => {
    const saga = await start();
    saga.downstream.script(ChargePayment, 'silent');
    const placed = await saga.place();
    await saga.untilStep(placed.id, 'charge', { attempts: 1 });
    await saga.advance('30s');
    await saga.untilStep(placed.id, 'charge', { retryAt: '2030-01-01T00:00:31.000Z' });

    saga.bus.publish(new PaymentCharged(placed.correlationKey, 'pay-late'));
    const done = await saga.untilStatus(placed.id, 'completed');
    await saga.advance('1s');

    expect(saga.downstream.sentOf(ChargePayment)).toHaveLength(1);
    expect(saga.downstream.sentOf(ReleaseInventory)).toEqual([]);
    expect(done.state.data.paymentId).toBe('pay-late');
  });
});
