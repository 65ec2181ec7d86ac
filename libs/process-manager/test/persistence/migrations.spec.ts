import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { ORDER_PROVIDERS } from '../support/fixtures/orders.js';
import { query } from '../support/sql.js';

describe('PROCESS_MANAGER_MIGRATIONS', () => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  it('create the tables of the data model', async () => {
    const app = await createApp({ url: db.url, providers: ORDER_PROVIDERS });
    const tables = await query<{ tablename: string }>(
      app,
      `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'pm\\_%'`,
    );
    expect(tables.map((t) => t.tablename)).toEqual(
      expect.arrayContaining([
        'pm_process',
        'pm_history',
        'pm_association',
        'pm_inbox',
        'pm_outbox',
        'pm_timer',
      ]),
    );
  });

  it('create the partial unique index on (type, correlation_key) of active instances', async () => {
    const app = await createApp({ url: db.url, providers: ORDER_PROVIDERS });
    const [index] = await query<{ indexdef: string }>(
      app,
      `SELECT indexdef FROM pg_indexes WHERE tablename = 'pm_process' AND indexname = 'pm_process_active_key_uq'`,
    );
    expect(index?.indexdef).toMatch(/^CREATE UNIQUE INDEX .* \(type, correlation_key\) WHERE /);
    for (const part of ['running', 'compensating', 'failed', 'acknowledged_at IS NULL']) {
      expect(index!.indexdef).toContain(part);
    }
  });

  it('let the index admit one active instance per key and any number of ended ones', async () => {
    const app = await createApp({ url: db.url, providers: ORDER_PROVIDERS });
    const insert = (status: string, acknowledged: boolean) =>
      query(
        app,
        `INSERT INTO pm_process (id, type, correlation_key, status, state, version, started_at, updated_at, acknowledged_at)
         VALUES ($1, 'order', 'o-index', $2, '{}', 1, now(), now(), CASE WHEN $3 THEN now() END)`,
        [randomUUID(), status, acknowledged],
      );
    await insert('completed', false);
    await insert('cancelled', false);
    await insert('failed', true);
    await insert('running', false);

    await expect(insert('running', false)).rejects.toMatchObject({
      driverError: { code: '23505', constraint: 'pm_process_active_key_uq' },
    });
    await expect(insert('failed', false)).rejects.toMatchObject({
      driverError: { constraint: 'pm_process_active_key_uq' },
    });
  });
});
