import { describe, expect, it } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { ProcessManagerService, ProcessStarted } from 'nestjs-process-manager';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import {
  ChargeCard,
  NoteAdded,
  ORDER_PROVIDERS,
  OrderPlaced,
  type OrderState,
} from '../support/fixtures/orders.js';
import { Recorder } from '../support/fixtures/recorder.js';
import { STORES, uniqueKey, withMessageId } from '../support/messages.js';
import { waitFor } from '../support/wait-for.js';

describe.each(STORES)('idempotent delivery (%s store)', (store) => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  async function notesOf(processes: ProcessManagerService, orderId: string, count: number) {
    const instance = await waitFor(async () => {
      const current = await processes.find('order', orderId);
      return (current?.state as OrderState | undefined)?.notes.length === count && current;
    }, `${count} notes`);
    return instance;
  }

  it('applies an event once when its messageId is delivered twice', async () => {
    const app = await createApp({ store, url: db.url, providers: ORDER_PROVIDERS });
    const bus = app.get(EventBus);
    const processes = app.get(ProcessManagerService);
    const orderId = uniqueKey('order');
    const messageId = uniqueKey('msg');
    bus.publish(new OrderPlaced(orderId, 42));
    bus.publish(withMessageId(new NoteAdded(orderId, 'gift wrap'), messageId));
    await notesOf(processes, orderId, 1);

    bus.publish(withMessageId(new NoteAdded(orderId, 'gift wrap'), messageId));
    bus.publish(new NoteAdded(orderId, 'leave at door'));
    const instance = await notesOf(processes, orderId, 2);

    expect((instance.state as OrderState).notes).toEqual(['gift wrap', 'leave at door']);
    expect(instance.version).toBe(3);
    const history = await processes.history(instance.id);
    expect(history.filter((entry) => entry.messageId === messageId)).toHaveLength(1);
  });

  it('starts one instance when a start event is delivered twice', async () => {
    const app = await createApp({ store, url: db.url, providers: ORDER_PROVIDERS });
    const bus = app.get(EventBus);
    const processes = app.get(ProcessManagerService);
    const orderId = uniqueKey('order');
    const messageId = uniqueKey('msg');
    bus.publish(withMessageId(new OrderPlaced(orderId, 42), messageId));
    bus.publish(withMessageId(new OrderPlaced(orderId, 42), messageId));
    bus.publish(new NoteAdded(orderId, 'marker'));
    const instance = await notesOf(processes, orderId, 1);

    expect((instance.state as OrderState).starts).toEqual([true]);
    expect(instance.version).toBe(2);
    const recorder = app.get(Recorder);
    expect(recorder.commandsOf(ChargeCard)).toHaveLength(1);
    expect(recorder.eventsOf(ProcessStarted)).toHaveLength(1);
  });
});
