import { describe, expect, it } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import {
  InvalidProcessStatusError,
  ProcessManagerService,
  ProcessNotFoundError,
} from 'nestjs-process-manager';
import { randomUUID } from 'node:crypto';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { ORDER_PROVIDERS, OrderPlaced } from '../support/fixtures/orders.js';
import { STORES, uniqueKey } from '../support/messages.js';
import { waitFor } from '../support/wait-for.js';

describe.each(STORES)('cancel() (%s store)', (store) => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  it('ends a running instance as cancelled, records why and frees its key', async () => {
    const app = await createApp({ store, url: db.url, providers: ORDER_PROVIDERS });
    const processes = app.get(ProcessManagerService);
    const orderId = uniqueKey('order');
    app.get(EventBus).publish(new OrderPlaced(orderId, 42));
    const running = await waitFor(() => processes.find('order', orderId), 'the order');

    await processes.cancel(running.id, 'customer changed their mind');

    const cancelled = await processes.get(running.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', version: 2, stateName: 'awaiting-payment' });
    expect(cancelled?.completedAt).toBeDefined();
    expect(await processes.find('order', orderId)).toBeNull();
    const history = await processes.history(running.id);
    expect(history.at(-1)).toMatchObject({
      outcome: 'cancelled',
      status: 'cancelled',
      note: 'customer changed their mind',
    });
    await expect(processes.cancel(running.id)).rejects.toThrow(InvalidProcessStatusError);
    await expect(processes.cancel(running.id)).rejects.toThrow(/cancel.*cancelled/);
  });

  it('throws ProcessNotFoundError for an unknown id', async () => {
    const app = await createApp({ store, url: db.url, providers: ORDER_PROVIDERS });
    const unknown = randomUUID();
    await expect(app.get(ProcessManagerService).cancel(unknown)).rejects.toThrow(ProcessNotFoundError);
    expect(await app.get(ProcessManagerService).get(unknown)).toBeNull();
  });

  it('treats an id that is not a uuid as unknown', async () => {
    const app = await createApp({ store, url: db.url, providers: ORDER_PROVIDERS });
    const processes = app.get(ProcessManagerService);
    expect(await processes.get('not-a-process-id')).toBeNull();
    await expect(processes.cancel('not-a-process-id')).rejects.toThrow(ProcessNotFoundError);
  });
});
