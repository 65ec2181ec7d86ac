import { describe, expect, it } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { ProcessManagerService } from 'nestjs-process-manager';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { OfflineWarehouseHandler, StockProcess, StockRequested } from '../support/fixtures/warehouse.js';
import { uniqueKey } from '../support/messages.js';
import { query } from '../support/sql.js';
import { waitFor } from '../support/wait-for.js';

interface OutboxRow {
  type: string;
  dispatched_at: Date | null;
  attempts: number;
  last_error: string | null;
}

describe('outbox dispatch (PostgreSQL)', () => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  it('keeps a command whose handler throws undispatched, while the step stays committed', async () => {
    const app = await createApp({
      url: db.url,
      providers: [StockProcess, OfflineWarehouseHandler],
      options: { outbox: { relayIntervalMs: 3_600_000 } },
    });
    const orderId = uniqueKey('order');
    app.get(EventBus).publish(new StockRequested(orderId));
    const instance = await waitFor(
      () => app.get(ProcessManagerService).find('stock', orderId),
      'the instance',
    );
    const outbox = () =>
      query<OutboxRow>(
        app,
        'SELECT type, dispatched_at, attempts, last_error FROM pm_outbox WHERE process_id = $1',
        [instance.id],
      );
    // The lifecycle event goes out; the command's failure is recorded on its row.
    const rows = await waitFor(async () => {
      const current = await outbox();
      const started = current.find((row) => row.type === 'ProcessManager.ProcessStarted');
      const reserve = current.find((row) => row.type === 'ReserveStock');
      return started?.dispatched_at && reserve?.attempts && current;
    }, 'ProcessStarted dispatched and the ReserveStock failure recorded');

    expect(rows.find((row) => row.type === 'ReserveStock')).toMatchObject({
      dispatched_at: null,
      attempts: 1,
      last_error: expect.stringContaining('warehouse offline'),
    });
    expect(instance).toMatchObject({ version: 1, stateName: 'reserving', state: { requested: true } });
    const [stored] = await query<{ version: number }>(app, 'SELECT version FROM pm_process WHERE id = $1', [
      instance.id,
    ]);
    expect(stored?.version).toBe(1);
  });
});
