import { describe, expect, it } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { ProcessManagerService } from 'nestjs-process-manager';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import {
  ORDER_PROVIDERS,
  OrderPlaced,
  type OrderState,
  PaymentReceived,
  PaymentSettled,
} from '../support/fixtures/orders.js';
import { ReturnProcess, ReturnReceived, ReturnRequested } from '../support/fixtures/returns.js';
import { STORES, uniqueKey, withMessageId } from '../support/messages.js';
import { waitFor } from '../support/wait-for.js';

describe.each(STORES)('correlation (%s store)', (store) => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  it('routes a later event correlated on an associated property to the instance', async () => {
    const app = await createApp({ store, url: db.url, providers: ORDER_PROVIDERS });
    const processes = app.get(ProcessManagerService);
    const orderId = uniqueKey('order');
    const paymentRef = uniqueKey('pay');
    app.get(EventBus).publish(new OrderPlaced(orderId, 42, paymentRef));
    const instance = await waitFor(() => processes.find('order', orderId), 'the order');
    app.get(EventBus).publish(new PaymentSettled(paymentRef, 42));
    const settled = await waitFor(async () => {
      const current = await processes.get(instance.id);
      return (current?.state as OrderState).settled !== undefined && current;
    }, 'PaymentSettled applied');

    expect((settled.state as OrderState).settled).toBe(42);
    expect((await processes.history(instance.id)).map((h) => h.messageType)).toEqual([
      'OrderPlaced',
      'PaymentSettled',
    ]);
    expect(await processes.find('order', paymentRef)).toBeNull();
  });

  it('writes nothing for a non-start event without an instance (onMissing: ignore)', async () => {
    const app = await createApp({ store, url: db.url, providers: ORDER_PROVIDERS });
    const bus = app.get(EventBus);
    const processes = app.get(ProcessManagerService);
    const orderId = uniqueKey('order');
    const early = uniqueKey('early-payment');
    // Same key, same app: handled in publish order, so the payment finds no instance.
    bus.publish(withMessageId(new PaymentReceived(orderId), early));
    bus.publish(new OrderPlaced(orderId, 42));
    const instance = await waitFor(() => processes.find('order', orderId), 'the order');

    expect(instance).toMatchObject({ stateName: 'awaiting-payment', version: 1 });
    expect((await processes.history(instance.id)).map((h) => h.messageType)).toEqual(['OrderPlaced']);
    const { items } = await processes.list({ type: 'order', limit: 500 });
    expect(items.filter((item) => item.correlationKey === orderId)).toHaveLength(1);

    // Not even an inbox mark: the same message, redelivered now, is applied.
    bus.publish(withMessageId(new PaymentReceived(orderId), early));
    await waitFor(
      async () => (await processes.get(instance.id))?.stateName === 'paid',
      'the redelivered payment',
    );
  });

  it('routes by the property a handler names when the process has no correlationKey', async () => {
    const app = await createApp({ store, url: db.url, providers: [ReturnProcess] });
    const processes = app.get(ProcessManagerService);
    const rmaId = uniqueKey('rma');
    app.get(EventBus).publish(new ReturnRequested(rmaId));
    const instance = await waitFor(() => processes.find('return', rmaId), 'the return');
    app.get(EventBus).publish(new ReturnReceived(rmaId));

    await waitFor(
      async () => (await processes.get(instance.id))?.status === 'completed',
      'the return received',
    );
    expect((await processes.get(instance.id))?.stateName).toBe('received');
  });
});
