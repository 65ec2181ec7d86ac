import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { type Http, type SampleUnderTest, startSample, waitForProcess } from './support/sample-app.js';

const order = (simulate: object = {}) => ({ items: [{ sku: 'BOOK-42', qty: 1 }], total: 10, simulate });

async function placeOrder(http: Http, simulate: object = {}): Promise<string> {
  const response = await http.post('/orders').send(order(simulate)).expect(201);
  return response.body.processId as string;
}

describe('processes API, health and dashboard', () => {
  let database: TestDatabase;
  let sample: SampleUnderTest;
  let completed: string;
  let failed: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    // The payment timeout is long, so an order simulating it stays in its charge step.
    sample = await startSample(database.url, { paymentTimeout: '1h' });
    completed = await placeOrder(sample.http);
    failed = await placeOrder(sample.http, { inventory: 'unavailable' });
    const group = await sample.http
      .post('/group-checkouts')
      .send({ guests: ['ann'] })
      .expect(201);
    await waitForProcess(sample.http, completed, 'completed');
    await waitForProcess(sample.http, failed, 'failed');
    await waitForProcess(sample.http, group.body.processId, 'completed');
  });

  afterAll(async () => {
    await sample?.close();
    await database?.drop();
  });

  it('lists instances newest first, filtered by type and status', async () => {
    const all = await sample.http.get('/processes').expect(200);
    expect(all.body.items.map((item: { id: string }) => item.id)).toEqual(
      expect.arrayContaining([completed, failed]),
    );

    const orders = await sample.http.get('/processes?type=order-fulfilment&status=failed').expect(200);
    expect(orders.body.items.map((item: { id: string }) => item.id)).toEqual([failed]);

    const both = await sample.http
      .get('/processes?type=order-fulfilment&status=completed,failed')
      .expect(200);
    expect(both.body.items.map((item: { id: string }) => item.id)).toEqual([failed, completed]);
  });

  it('pages with nextCursor', async () => {
    const first = await sample.http.get('/processes?limit=2').expect(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));

    const second = await sample.http.get(`/processes?limit=2&cursor=${first.body.nextCursor}`).expect(200);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextCursor).toBeUndefined();
    const ids = [...first.body.items, ...second.body.items].map((item: { id: string }) => item.id);
    expect(new Set(ids).size).toBe(3);
  });

  it('answers 400 for a bad status, limit or cursor', async () => {
    const status = await sample.http.get('/processes?status=sleeping').expect(400);
    expect(status.body.fields).toEqual(['status']);
    const limit = await sample.http.get('/processes?limit=0').expect(400);
    expect(limit.body.fields).toEqual(['limit']);
    const cursor = await sample.http.get('/processes?cursor=garbage').expect(400);
    expect(cursor.body.fields).toEqual(['cursor']);
    const forged = Buffer.from(`${new Date().toISOString()}|not-a-uuid`).toString('base64url');
    await sample.http.get(`/processes?cursor=${forged}`).expect(400);
  });

  it('shows an instance with its history', async () => {
    const { body } = await sample.http.get(`/processes/${failed}`).expect(200);
    expect(body).toMatchObject({
      id: failed,
      type: 'order-fulfilment',
      status: 'failed',
      stateName: 'compensated',
      lastError: 'reserve failed: InventoryUnavailable: out of stock: BOOK-42',
    });
    expect(body.history.map((entry: { seq: number }) => entry.seq)).toEqual([1, 2, 3]);
    expect(body.history[0]).toMatchObject({
      messageType: 'OrderPlaced',
      toState: 'validate',
      outcome: 'handled',
    });
  });

  it('answers 404 for unknown or malformed process ids', async () => {
    const unknown = '7d1f3c9e-0000-4000-8000-000000000000';
    const response = await sample.http.get(`/processes/${unknown}`).expect(404);
    expect(response.body.message).toBe(`No process instance with id ${unknown}.`);
    await sample.http.get('/processes/abc').expect(404);
    await sample.http.post(`/processes/${unknown}/cancel`).expect(404);
    await sample.http.post(`/processes/${unknown}/retry`).expect(404);
  });

  it('serves the state diagram as Mermaid text', async () => {
    const response = await sample.http.get('/processes/types/document-voiding/diagram').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.text.split('\n')[0]).toBe('stateDiagram-v2');
    expect(response.text).toContain('state "marking-as-voided" as marking_as_voided');
    expect(response.text).toContain('[*] --> marking_as_voided : DocumentVoidingRequested');
    expect(response.text).toContain('marking_as_voided --> aborted : MarkingDocumentAsVoidedFailed');
  });

  it('draws the order saga from its steps and compensations', async () => {
    const { text } = await sample.http.get('/processes/types/order-fulfilment/diagram').expect(200);
    const lines = text.split('\n').map((line) => line.trim());
    expect(lines).toEqual(
      expect.arrayContaining([
        'stateDiagram-v2',
        'state "reserve:compensating" as reserve_compensating',
        'state "charge:compensating" as charge_compensating',
        '[*] --> validate : OrderPlaced',
        'validate --> reserve : OrderValidated',
        'reserve --> charge : InventoryReserved',
        'charge --> ship : PaymentCharged',
        'ship --> completed : OrderShipped',
        'ship --> charge_compensating : ShipmentFailed',
        'charge_compensating --> reserve_compensating : PaymentRefunded',
        'reserve_compensating --> compensated : InventoryReleased',
      ]),
    );
    expect(lines.find((line) => line.startsWith('charge --> reserve_compensating'))).toMatch(
      /PaymentDeclined.*timeout/,
    );

    const unknown = await sample.http.get('/processes/types/nope/diagram').expect(404);
    expect(unknown.body.message).toBe('No @ProcessManager() is named "nope".');
  });

  it('lists the process types', async () => {
    const { body } = await sample.http.get('/processes/types').expect(200);
    expect(body.types).toEqual(['order-fulfilment', 'document-voiding', 'group-checkout']);
  });

  it('cancels a running instance, once', async () => {
    const stuck = await placeOrder(sample.http, { payment: 'timeout' });
    await waitForProcess(sample.http, stuck, 'running', 'charge');

    const { body } = await sample.http
      .post(`/processes/${stuck}/cancel`)
      .send({ reason: 'customer called', compensate: false })
      .expect(200);
    expect(body).toMatchObject({ id: stuck, status: 'cancelled' });
    const order = await sample.http.get(`/orders/${body.correlationKey}`).expect(200);
    expect(order.body.status).toBe('cancelled');

    const again = await sample.http.post(`/processes/${stuck}/cancel`).expect(409);
    expect(again.body.message).toBe(`Cannot cancel process ${stuck}: it is cancelled.`);
    await sample.http.post(`/processes/${stuck}/cancel`).send({ reason: 7 }).expect(400);
  });

  it('retries a stuck instance by re-sending its last step, which the payment provider deduplicates', async () => {
    const stuck = await placeOrder(sample.http, { payment: 'timeout' });
    const before = await waitForProcess(sample.http, stuck, 'running', 'charge');

    const { body } = await sample.http.post(`/processes/${stuck}/retry`).expect(200);
    // The retry is on record: one operator row in the history, hence one version more.
    expect(body).toMatchObject({
      id: stuck,
      status: 'running',
      stateName: 'charge',
      version: before.version + 1,
    });

    const notRetryable = await sample.http.post(`/processes/${completed}/retry`).expect(409);
    expect(notRetryable.body.message).toBe(`Cannot retry process ${completed}: it is completed.`);
  });

  it('lists dead letters (none in a healthy run)', async () => {
    const { body } = await sample.http.get('/dead-letters?limit=10').expect(200);
    expect(body.items).toEqual([]);
    await sample.http.get('/dead-letters?limit=abc').expect(400);
  });

  it('reports the database and the process manager in GET /health', async () => {
    const { body } = await sample.http.get('/health').expect(200);
    expect(body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, processManager: { status: 'up', problems: [] } },
    });
  });

  it('leads from / to the dashboard (see dashboard-sample.e2e-spec.ts)', async () => {
    const root = await sample.http.get('/').expect(302);
    expect(root.headers.location).toBe('/process-manager/');
    const page = await sample.http.get('/process-manager/').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
  });
});
