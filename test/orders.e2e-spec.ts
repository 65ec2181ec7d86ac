import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { ProcessDeadLettered } from 'nestjs-process-manager';
import { filter, firstValueFrom } from 'rxjs';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import {
  type Http,
  type ProcessView,
  type SampleUnderTest,
  sentBy,
  startSample,
  waitForProcess,
} from './support/sample-app.js';
import { waitFor } from './support/wait-for.js';

const items = [
  { sku: 'BOOK-42', qty: 1 },
  { sku: 'MUG-7', qty: 2 },
];

async function placeOrder(http: Http, body: object = {}) {
  const response = await http
    .post('/orders')
    .send({ items, total: 59.9, ...body })
    .expect(201);
  return response.body as { orderId: string; processId: string };
}

/** Waits until `GET /orders/:orderId` shows the status, and returns the order. */
function waitForOrder(http: Http, orderId: string, status: string) {
  return waitFor(async () => {
    const { body } = await http.get(`/orders/${orderId}`).expect(200);
    return body.status === status ? (body as Record<string, unknown>) : undefined;
  }, `order ${orderId} to be ${status}`);
}

/** `{ validate: 'completed', reserve: 'compensated', … }` from the saga's state. */
function stepStatuses(process: ProcessView): Record<string, string> {
  const steps = process.state.steps as { name: string; status: string }[];
  return Object.fromEntries(steps.map((step) => [step.name, step.status]));
}

const toStates = (process: ProcessView) => process.history.map((entry) => entry.toState);

describe('orders: fulfilment saga with compensations', () => {
  let database: TestDatabase;
  let sample: SampleUnderTest;

  beforeAll(async () => {
    database = await createTestDatabase();
    sample = await startSample(database.url, { paymentTimeout: 400 });
  });

  afterAll(async () => {
    await sample?.close();
    await database?.drop();
  });

  it('validates, reserves, charges and ships an order, then notifies the customer', async () => {
    const { orderId, processId } = await placeOrder(sample.http);

    const process = await waitForProcess(sample.http, processId, 'completed', 'completed');
    expect(process).toMatchObject({ type: 'order-fulfilment', correlationKey: orderId });
    expect(process.history.map((entry) => entry.messageType)).toEqual([
      'OrderPlaced',
      'OrderValidated',
      'InventoryReserved',
      'PaymentCharged',
      'OrderShipped',
    ]);
    expect(toStates(process)).toEqual(['validate', 'reserve', 'charge', 'ship', 'completed']);
    expect(sentBy(process)).toEqual([
      'command ValidateOrder',
      'command ReserveInventory',
      'command ChargePayment',
      'command ShipOrder',
      'event OrderFulfilled',
    ]);
    expect(stepStatuses(process)).toEqual({
      validate: 'completed',
      reserve: 'completed',
      charge: 'completed',
      ship: 'completed',
    });
    expect(process.state.data).toMatchObject({
      orderId,
      reservationId: expect.any(String),
      paymentId: expect.any(String),
      trackingNumber: expect.any(String),
    });
    const order = await waitForOrder(sample.http, orderId, 'completed');
    expect(order).toMatchObject({
      orderId,
      processId,
      stage: 'completed',
      failureReason: null,
      trackingNumber: (process.state.data as { trackingNumber: string }).trackingNumber,
    });

    // Choreography: the RxJS saga (OrderShipped) and the stateless @OnEvent (PaymentCharged).
    const kinds = await waitFor(async () => {
      const { body } = await sample.http.get(`/notifications?reference=${orderId}`).expect(200);
      const found = (body.items as { kind: string }[]).map((item) => item.kind).sort();
      return found.length === 2 ? found : undefined;
    }, 'the receipt and the shipping notification');
    expect(kinds).toEqual(['order-shipped', 'payment-receipt']);
  });

  it('rejects an order over the credit limit without reserving anything', async () => {
    const { orderId, processId } = await placeOrder(sample.http, { total: 20_000 });

    const process = await waitForProcess(sample.http, processId, 'failed', 'compensated');
    expect(process.lastError).toBe(
      'validate failed: OrderRejected: total 20000 is over the credit limit of 10000',
    );
    expect(sentBy(process)).toEqual(['command ValidateOrder', 'event OrderFailed']);
    expect(stepStatuses(process)).toMatchObject({ validate: 'failed', reserve: 'pending' });
    const order = await waitForOrder(sample.http, orderId, 'compensated');
    expect(order.failureReason).toBe(process.lastError);
  });

  it('fails an order whose items are out of stock; nothing is charged or released', async () => {
    const { orderId, processId } = await placeOrder(sample.http, { simulate: { inventory: 'unavailable' } });

    const process = await waitForProcess(sample.http, processId, 'failed', 'compensated');
    expect(process.lastError).toBe('reserve failed: InventoryUnavailable: out of stock: BOOK-42, MUG-7');
    expect(toStates(process)).toEqual(['validate', 'reserve', 'compensated']);
    expect(sentBy(process)).toEqual([
      'command ValidateOrder',
      'command ReserveInventory',
      'event OrderFailed',
    ]);
    expect(stepStatuses(process)).toEqual({
      validate: 'completed',
      reserve: 'failed',
      charge: 'pending',
      ship: 'pending',
    });
    await waitForOrder(sample.http, orderId, 'compensated');
  });

  it('releases the inventory when the payment is declined', async () => {
    const { orderId, processId } = await placeOrder(sample.http, { simulate: { payment: 'decline' } });

    const process = await waitForProcess(sample.http, processId, 'failed', 'compensated');
    expect(process.lastError).toBe('charge failed: PaymentDeclined: card declined by the issuer');
    expect(toStates(process)).toEqual([
      'validate',
      'reserve',
      'charge',
      'reserve:compensating',
      'compensated',
    ]);
    expect(process.history.map((entry) => entry.messageType).slice(3)).toEqual([
      'PaymentDeclined',
      'InventoryReleased',
    ]);
    expect(sentBy(process)).toEqual([
      'command ValidateOrder',
      'command ReserveInventory',
      'command ChargePayment',
      'command ReleaseInventory',
      'event OrderFailed',
    ]);
    expect(stepStatuses(process)).toMatchObject({
      reserve: 'compensated',
      charge: 'failed',
      ship: 'pending',
    });
    const order = await waitForOrder(sample.http, orderId, 'compensated');
    expect(order.failureReason).toBe('charge failed: PaymentDeclined: card declined by the issuer');
  });

  it('refunds the payment, then releases the inventory, when shipping fails', async () => {
    const { orderId, processId } = await placeOrder(sample.http, { simulate: { shipping: 'fail' } });

    const process = await waitForProcess(sample.http, processId, 'failed', 'compensated');
    expect(process.lastError).toBe('ship failed: ShipmentFailed: the carrier rejected the parcel');
    expect(toStates(process)).toEqual([
      'validate',
      'reserve',
      'charge',
      'ship',
      'charge:compensating',
      'reserve:compensating',
      'compensated',
    ]);
    expect(sentBy(process)).toEqual([
      'command ValidateOrder',
      'command ReserveInventory',
      'command ChargePayment',
      'command ShipOrder',
      'command RefundPayment',
      'command ReleaseInventory',
      'event OrderFailed',
    ]);
    expect(stepStatuses(process)).toEqual({
      validate: 'completed',
      reserve: 'compensated',
      charge: 'compensated',
      ship: 'failed',
    });
    expect(process.state.data).toMatchObject({
      orderId,
      paymentId: expect.any(String),
      reservationId: expect.any(String),
    });
    await waitForOrder(sample.http, orderId, 'compensated');
  });

  it('releases the inventory when the payment provider does not answer in time (step timeout timer)', async () => {
    const { processId } = await placeOrder(sample.http, { simulate: { payment: 'timeout' } });

    const process = await waitForProcess(sample.http, processId, 'failed', 'compensated');
    expect(process.lastError).toBe('charge failed: no reply within 400 ms');
    expect(process.history.map((entry) => entry.messageType)).toEqual([
      'OrderPlaced',
      'OrderValidated',
      'InventoryReserved',
      'ProcessManager.SagaStepTimedOut',
      'InventoryReleased',
    ]);
    expect(sentBy(process)).toContain('command ReleaseInventory');
    expect(sentBy(process)).not.toContain('command RefundPayment');
    expect(stepStatuses(process)).toMatchObject({ reserve: 'compensated', charge: 'failed' });
  });

  it('cancels an order in flight: the step in flight answers first, then what was done is undone', async () => {
    const { orderId, processId } = await placeOrder(sample.http, { simulate: { payment: 'timeout' } });
    await waitForProcess(sample.http, processId, 'running', 'charge');

    const cancel = await sample.http
      .post(`/orders/${orderId}/cancel`)
      .send({ reason: 'customer changed their mind' })
      .expect(202);
    expect(cancel.body).toEqual({ orderId, processId, status: 'cancelling' });
    const cancelling = await waitForOrder(sample.http, orderId, 'cancelling');
    expect(cancelling.stage).toBe('charge');
    // Asking again while it cancels changes nothing.
    await sample.http.post(`/orders/${orderId}/cancel`).expect(202);

    const process = await waitForProcess(sample.http, processId, 'cancelled', 'cancelled');
    expect(process.history.map((entry) => entry.messageType).slice(3)).toEqual([
      'OrderCancelled',
      'ProcessManager.SagaStepTimedOut',
      'InventoryReleased',
    ]);
    expect(process.state.cancellation).toBe('OrderCancelled: customer changed their mind');
    expect(stepStatuses(process)).toEqual({
      validate: 'completed',
      reserve: 'compensated',
      charge: 'failed',
      ship: 'pending',
    });
    expect(sentBy(process)).toEqual([
      'command ValidateOrder',
      'command ReserveInventory',
      'command ChargePayment',
      'command ReleaseInventory',
      'event OrderCancellationCompleted',
    ]);
    await waitForOrder(sample.http, orderId, 'cancelled');

    const again = await sample.http.post(`/orders/${orderId}/cancel`).expect(409);
    expect(again.body.message).toBe(`Order ${orderId} cannot be cancelled: it is cancelled.`);
  });

  it('answers 409 when cancelling an order that already ended, 404 for an unknown one, 400 for a bad body', async () => {
    const { orderId, processId } = await placeOrder(sample.http);
    await waitForProcess(sample.http, processId, 'completed');
    await waitForOrder(sample.http, orderId, 'completed');

    const ended = await sample.http.post(`/orders/${orderId}/cancel`).expect(409);
    expect(ended.body.message).toBe(`Order ${orderId} cannot be cancelled: it is completed.`);

    const unknown = '7d1f3c9e-0000-4000-8000-000000000000';
    const missing = await sample.http.post(`/orders/${unknown}/cancel`).expect(404);
    expect(missing.body.message).toBe(`No order with id ${unknown}.`);
    await sample.http.post('/orders/not-an-id/cancel').expect(404);

    const bad = await sample.http
      .post(`/orders/${orderId}/cancel`)
      .send({ reason: 7, refund: true })
      .expect(400);
    expect(bad.body.fields).toEqual(expect.arrayContaining(['reason', 'refund']));
  });

  it('dead-letters a crashing delivery, and POST /processes/:id/retry re-runs it', async () => {
    const deadLettered = firstValueFrom(
      sample.app
        .get(EventBus)
        .pipe(filter((event): event is ProcessDeadLettered => event instanceof ProcessDeadLettered)),
    );
    const { orderId, processId } = await placeOrder(sample.http, { simulate: { completion: 'crash' } });

    const event = await deadLettered;
    expect(event).toMatchObject({ processId, processType: 'order-fulfilment', messageType: 'OrderShipped' });
    const { body: deadLetters } = await sample.http.get('/dead-letters').expect(200);
    expect(deadLetters.items).toEqual([
      expect.objectContaining({
        processId,
        handler: 'order-fulfilment',
        messageType: 'OrderShipped',
        status: 'dead',
        attempts: 5,
        error: expect.stringContaining(`Simulated crash while completing order ${orderId}`),
      }),
    ]);
    const stuck = await waitForProcess(sample.http, processId, 'running', 'ship');
    expect(stuck.lastError).toContain('Simulated crash');
    expect((await sample.http.get(`/orders/${orderId}`).expect(200)).body.status).toBe('processing');

    const { body: retried } = await sample.http.post(`/processes/${processId}/retry`).expect(200);
    expect(retried).toMatchObject({ id: processId, status: 'completed', stateName: 'completed' });
    const process = await waitForProcess(sample.http, processId, 'completed', 'completed');
    expect(process.history.map((entry) => entry.messageType)).toEqual([
      'OrderPlaced',
      'OrderValidated',
      'InventoryReserved',
      'PaymentCharged',
      'ProcessManager.Retry', // the operator's retry, on record before the step it re-ran
      'OrderShipped',
    ]);
    expect((await sample.http.get('/dead-letters').expect(200)).body.items).toEqual([]);
    await waitForOrder(sample.http, orderId, 'completed');
  });

  it('answers 400 naming every bad field, and writes nothing', async () => {
    const before = await sample.http.get('/processes?type=order-fulfilment&limit=200').expect(200);

    const response = await sample.http
      .post('/orders')
      .send({
        items: [{ sku: '', qty: 0 }],
        total: 'lots',
        simulate: { payment: 'maybe', completion: 'explode' },
        coupon: 'FREE',
      })
      .expect(400);

    expect(response.body.fields).toEqual(
      expect.arrayContaining([
        'items.0.sku',
        'items.0.qty',
        'total',
        'simulate.payment',
        'simulate.completion',
        'coupon',
      ]),
    );
    expect(response.body.message).toEqual(
      expect.arrayContaining(['items.0.qty must not be less than 1', 'property coupon should not exist']),
    );
    const after = await sample.http.get('/processes?type=order-fulfilment&limit=200').expect(200);
    expect(after.body.items).toHaveLength(before.body.items.length);
  });

  it('answers 400 for an order without items', async () => {
    const response = await sample.http.post('/orders').send({ items: [], total: 5 }).expect(400);
    expect(response.body.fields).toEqual(['items']);
  });

  it('answers 404 for an unknown order id', async () => {
    const unknown = await sample.http.get('/orders/7d1f3c9e-0000-4000-8000-000000000000').expect(404);
    expect(unknown.body.message).toContain('No order with id');
    await sample.http.get('/orders/not-an-id').expect(404);
  });

  it('shows the current step of a running order', async () => {
    const { orderId, processId } = await placeOrder(sample.http, { simulate: { payment: 'timeout' } });
    await waitForProcess(sample.http, processId, 'running', 'charge');

    const { body } = await sample.http.get(`/orders/${orderId}`).expect(200);
    expect(body).toMatchObject({ orderId, processId, status: 'processing', stage: 'charge' });
  });
});

describe('orders: restart in the middle of a slow order', () => {
  let database: TestDatabase;
  let sample: SampleUnderTest | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await sample?.close();
    await database?.drop();
  });

  it('completes the order after the app comes back, handling each step once', async () => {
    const slow = { serviceDelayMs: { min: 250, max: 300 } };
    sample = await startSample(database.url, slow);
    const { orderId, processId } = await placeOrder(sample.http);
    await waitForProcess(sample.http, processId, 'running', 'charge');
    await sample.close();

    sample = await startSample(database.url, slow);
    const process = await waitForProcess(sample.http, processId, 'completed', 'completed');

    expect(process.history.map((entry) => entry.messageType)).toEqual([
      'OrderPlaced',
      'OrderValidated',
      'InventoryReserved',
      'PaymentCharged',
      'OrderShipped',
    ]);
    const { body } = await sample.http.get(`/orders/${orderId}`).expect(200);
    expect(body.processId).toBe(processId);
  });
});
