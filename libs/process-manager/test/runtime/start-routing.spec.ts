import { describe, expect, it } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { ProcessManagerService, ProcessStarted } from 'nestjs-process-manager';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { ChargeCard, ORDER_PROVIDERS, OrderPlaced, type OrderState } from '../support/fixtures/orders.js';
import { Recorder } from '../support/fixtures/recorder.js';
import { STORES, uniqueKey } from '../support/messages.js';
import { waitFor } from '../support/wait-for.js';

describe.each(STORES)('start events (%s store)', (store) => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  it('delivers a start event for a key with an active instance to that instance', async () => {
    const app = await createApp({ store, url: db.url, providers: ORDER_PROVIDERS });
    const processes = app.get(ProcessManagerService);
    const orderId = uniqueKey('order');
    app.get(EventBus).publish(new OrderPlaced(orderId, 42));
    const first = await waitFor(() => processes.find('order', orderId), 'the order');
    app.get(EventBus).publish(new OrderPlaced(orderId, 99));
    const after = await waitFor(async () => {
      const current = await processes.get(first.id);
      return (current?.state as OrderState).starts.length === 2 && current;
    }, 'the second OrderPlaced');

    expect(after.state).toMatchObject({ starts: [true, false], total: 42 });
    expect(after.version).toBe(2);
    expect((await processes.find('order', orderId))?.id).toBe(first.id);
    const recorder = app.get(Recorder);
    expect(recorder.commandsOf(ChargeCard)).toEqual([new ChargeCard(orderId, 42)]);
    expect(recorder.eventsOf(ProcessStarted)).toHaveLength(1);
  });

  it('keeps one active instance per key when start events arrive together', async () => {
    const app = await createApp({ store, url: db.url, providers: ORDER_PROVIDERS });
    const processes = app.get(ProcessManagerService);
    const orderId = uniqueKey('order');
    for (let i = 0; i < 5; i++) app.get(EventBus).publish(new OrderPlaced(orderId, i));
    const instance = await waitFor(async () => {
      const current = await processes.find('order', orderId);
      return (current?.state as OrderState | undefined)?.starts.length === 5 && current;
    }, 'five OrderPlaced handled');

    const { items } = await processes.list({ type: 'order', limit: 500 });
    expect(items.filter((item) => item.correlationKey === orderId)).toHaveLength(1);
    expect((instance.state as OrderState).starts).toEqual([true, false, false, false, false]);
    expect(app.get(Recorder).eventsOf(ProcessStarted)).toHaveLength(1);
  });
});
