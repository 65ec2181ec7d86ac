import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import {
  type Http,
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

describe('orders: fulfilment with compensations', () => {
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
    expect(sentBy(process)).toEqual([
      'command ValidateOrder',
      'command ReserveInventory',
      'command ChargePayment',
      'command ShipOrder',
      'event OrderFulfilled',
    ]);
    const order = await waitFor(async () => {
      const { body } = await sample.http.get(`/orders/${orderId}`).expect(200);
      return body.status === 'completed' ? body : undefined;
    }, 'the order to be completed');
    expect(order).toMatchObject({
      orderId,
      processId,
      stage: 'completed',
      trackingNumber: expect.any(String),
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

    const process = await waitForProcess(sample.http, processId, 'failed', 'rejected');
    expect(process.lastError).toContain('credit limit');
    expect(sentBy(process)).toEqual(['command ValidateOrder', 'event OrderFailed']);
    await waitFor(async () => {
      const { body } = await sample.http.get(`/orders/${orderId}`);
      return body.status === 'failed' && body.failureReason.includes('credit limit');
    }, 'the order to be failed');
  });

  it('fails an order whose items are out of stock; nothing is charged', async () => {
    const { processId } = await placeOrder(sample.http, { simulate: { inventory: 'unavailable' } });

    const process = await waitForProcess(sample.http, processId, 'failed', 'out-of-stock');
    expect(process.lastError).toBe('Out of stock: BOOK-42, MUG-7');
    expect(sentBy(process)).not.toContain('command ChargePayment');
  });

  it('releases the inventory when the payment is declined', async () => {
    const { processId } = await placeOrder(sample.http, { simulate: { payment: 'decline' } });

    const process = await waitForProcess(sample.http, processId, 'failed', 'compensated');
    expect(process.lastError).toBe('Payment declined: card declined by the issuer');
    expect(process.history.map((entry) => entry.toState)).toEqual([
      'validating',
      'reserving-inventory',
      'charging-payment',
      'releasing-inventory',
      'compensated',
    ]);
    expect(sentBy(process)).toContain('command ReleaseInventory');
    expect(sentBy(process)).not.toContain('command ShipOrder');
  });

  it('refunds the payment, then releases the inventory, when shipping fails', async () => {
    const { orderId, processId } = await placeOrder(sample.http, { simulate: { shipping: 'fail' } });

    const process = await waitForProcess(sample.http, processId, 'failed', 'compensated');
    expect(process.lastError).toBe('Shipping failed: the carrier rejected the parcel');
    const sent = sentBy(process);
    expect(sent.indexOf('command RefundPayment')).toBeGreaterThan(sent.indexOf('command ShipOrder'));
    expect(sent.indexOf('command ReleaseInventory')).toBeGreaterThan(sent.indexOf('command RefundPayment'));
    expect(process.state).toMatchObject({
      orderId,
      paymentId: expect.any(String),
      reservationId: expect.any(String),
    });
  });

  it('releases the inventory when the payment provider does not answer in time (timer)', async () => {
    const { processId } = await placeOrder(sample.http, { simulate: { payment: 'timeout' } });

    const process = await waitForProcess(sample.http, processId, 'failed', 'compensated');
    expect(process.history.map((entry) => entry.messageType)).toContain('PaymentTimedOut');
    expect(process.lastError).toBe('No answer from the payment provider within 400');
  });

  it('answers 400 naming every bad field, and writes nothing', async () => {
    const before = await sample.http.get('/processes?type=order-fulfilment&limit=200').expect(200);

    const response = await sample.http
      .post('/orders')
      .send({
        items: [{ sku: '', qty: 0 }],
        total: 'lots',
        simulate: { payment: 'maybe' },
        coupon: 'FREE',
      })
      .expect(400);

    expect(response.body.fields).toEqual(
      expect.arrayContaining(['items.0.sku', 'items.0.qty', 'total', 'simulate.payment', 'coupon']),
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

  it('shows the current stage of a running order', async () => {
    const { orderId, processId } = await placeOrder(sample.http, { simulate: { payment: 'timeout' } });
    await waitForProcess(sample.http, processId, 'running', 'charging-payment');

    const { body } = await sample.http.get(`/orders/${orderId}`).expect(200);
    expect(body).toMatchObject({ orderId, processId, status: 'processing', stage: 'charging-payment' });
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
    await waitForProcess(sample.http, processId, 'running', 'charging-payment');
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
