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
import {
  ORDER_PROVIDERS,
  OrderPlaced,
  type OrderState,
  PaymentDeclined,
} from '../support/fixtures/orders.js';
import { STORES, uniqueKey } from '../support/messages.js';
import { waitFor } from '../support/wait-for.js';

describe.each(STORES)('failed instances (%s store)', (store) => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  it('keep their key until acknowledgeFailure(), then a new instance can start', async () => {
    const app = await createApp({ store, url: db.url, providers: ORDER_PROVIDERS });
    const bus = app.get(EventBus);
    const processes = app.get(ProcessManagerService);
    const orderId = uniqueKey('order');
    bus.publish(new OrderPlaced(orderId, 42));
    bus.publish(new PaymentDeclined(orderId, 'card expired'));
    const failed = await waitFor(async () => {
      const current = await processes.find('order', orderId);
      return current?.status === 'failed' && current;
    }, 'the failed order');
    expect(failed).toMatchObject({ stateName: 'declined', lastError: 'payment declined: card expired' });

    bus.publish(new OrderPlaced(orderId, 50));
    const history = await waitFor(async () => {
      const entries = await processes.history(failed.id);
      return entries.length === 3 && entries;
    }, 'the OrderPlaced recorded on the failed instance');
    expect(history[2]).toMatchObject({ messageType: 'OrderPlaced', outcome: 'ignored', status: 'failed' });
    expect((await processes.find('order', orderId))?.id).toBe(failed.id);

    await processes.acknowledgeFailure(failed.id);
    expect(await processes.find('order', orderId)).toBeNull();
    expect((await processes.get(failed.id))?.acknowledgedAt).toBeDefined();
    await expect(processes.acknowledgeFailure(failed.id)).rejects.toThrow(InvalidProcessStatusError);

    bus.publish(new OrderPlaced(orderId, 60));
    const fresh = await waitFor(() => processes.find('order', orderId), 'a new order instance');
    expect(fresh.id).not.toBe(failed.id);
    expect(fresh).toMatchObject({ status: 'running', state: { starts: [true], total: 60 } });
    expect((await processes.get(failed.id))?.status).toBe('failed');
    expect(((await processes.get(failed.id))?.state as OrderState).starts).toEqual([true]);
  });

  it('refuse acknowledgeFailure() for a running instance or an unknown id', async () => {
    const app = await createApp({ store, url: db.url, providers: ORDER_PROVIDERS });
    const processes = app.get(ProcessManagerService);
    const orderId = uniqueKey('order');
    app.get(EventBus).publish(new OrderPlaced(orderId, 42));
    const running = await waitFor(() => processes.find('order', orderId), 'the order');

    await expect(processes.acknowledgeFailure(running.id)).rejects.toThrow(InvalidProcessStatusError);
    await expect(processes.acknowledgeFailure(running.id)).rejects.toThrow(/acknowledge.*running/);
    const unknown = randomUUID();
    await expect(processes.acknowledgeFailure(unknown)).rejects.toThrow(ProcessNotFoundError);
    await expect(processes.acknowledgeFailure(unknown)).rejects.toThrow(unknown);
  });
});
