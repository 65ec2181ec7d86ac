import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SampleTelemetry } from '../apps/sample/src/telemetry/sample-telemetry.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { type SampleUnderTest, startSample, waitForProcess } from './support/sample-app.js';

describe('sample: GET /metrics in Prometheus text format', () => {
  let database: TestDatabase;
  let sample: SampleUnderTest;
  let telemetry: SampleTelemetry;

  beforeAll(async () => {
    database = await createTestDatabase();
    // As main.ts does: the SDK goes in after the library was imported, before the app boots.
    telemetry = SampleTelemetry.install({ consoleTraces: false });
    sample = await startSample(database.url, { telemetry });
  });

  afterAll(async () => {
    await sample?.close();
    await telemetry?.shutdown();
    await database?.drop();
  });

  it('shows the process manager’s counters and gauges once an order went through', async () => {
    const { body } = await sample.http
      .post('/orders')
      .send({ items: [{ sku: 'BOOK-42', qty: 1 }], total: 12.5 })
      .expect(201);
    await waitForProcess(sample.http, (body as { processId: string }).processId, 'completed');

    const response = await sample.http.get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.text;
    expect(text).toMatch(
      /^pm_deliveries_total\{type="order-fulfilment",message="OrderPlaced",outcome="committed"[^}]*\} 1$/m,
    );
    expect(text).toMatch(/^# TYPE pm_step_duration histogram$/m);
    for (const gauge of [
      'pm_outbox_pending',
      'pm_outbox_lag',
      'pm_timers_lag',
      'pm_dead_letters_open',
      'pm_stuck',
    ])
      expect(text).toMatch(new RegExp(`^${gauge}\\{[^}]*\\} \\d+(\\.\\d+)?$`, 'm'));
  });
});
