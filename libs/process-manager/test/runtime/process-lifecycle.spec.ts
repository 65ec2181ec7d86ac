import { describe, expect, it } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import {
  getMetadata,
  ProcessCompleted,
  ProcessFailed,
  ProcessManagerService,
  ProcessStarted,
} from 'nestjs-process-manager';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import {
  ChargeCard,
  ORDER_PROVIDERS,
  OrderPlaced,
  OrderShipped,
  PaymentDeclined,
  PaymentReceived,
  ShipOrder,
} from '../support/fixtures/orders.js';
import { Recorder } from '../support/fixtures/recorder.js';
import { STORES, uniqueKey, withMessageId } from '../support/messages.js';
import { waitFor } from '../support/wait-for.js';

describe.each(STORES)('process lifecycle (%s store)', (store) => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  async function start() {
    const app = await createApp({ store, url: db.url, providers: ORDER_PROVIDERS });
    const processes = app.get(ProcessManagerService);
    const orderId = uniqueKey('order');
    app.get(EventBus).publish(new OrderPlaced(orderId, 42));
    const instance = await waitFor(() => processes.find('order', orderId), 'the order instance');
    return { app, processes, orderId, instance, bus: app.get(EventBus), recorder: app.get(Recorder) };
  }

  it('runs an order to completion and records every step in its history', async () => {
    const { processes, orderId, instance, bus } = await start();
    bus.publish(new PaymentReceived(orderId));
    await waitFor(async () => (await processes.get(instance.id))?.stateName === 'paid', 'paid');
    bus.publish(new OrderShipped(orderId));
    const done = await waitFor(async () => {
      const current = await processes.get(instance.id);
      return current?.status === 'completed' && current;
    }, 'completed');

    expect(done).toMatchObject({ stateName: 'shipped', version: 3 });
    expect(done.completedAt).toBeDefined();
    const history = await processes.history(instance.id);
    expect(history.map((h) => h.seq)).toEqual([...history.map((h) => h.seq)].sort((a, b) => a - b));
    expect(new Set(history.map((h) => h.seq)).size).toBe(3);
    expect(
      history.map(({ messageType, fromState, toState, status, outcome }) => ({
        messageType,
        fromState,
        toState,
        status,
        outcome,
      })),
    ).toEqual([
      {
        messageType: 'OrderPlaced',
        fromState: undefined,
        toState: 'awaiting-payment',
        status: 'running',
        outcome: 'handled',
      },
      {
        messageType: 'PaymentReceived',
        fromState: 'awaiting-payment',
        toState: 'paid',
        status: 'running',
        outcome: 'handled',
      },
      {
        messageType: 'OrderShipped',
        fromState: 'paid',
        toState: 'shipped',
        status: 'completed',
        outcome: 'handled',
      },
    ]);
    expect(history[0]!.commands).toEqual([
      { kind: 'command', type: 'ChargeCard', payload: { orderId, total: undefined, amount: 42 } },
      {
        kind: 'event',
        type: 'ProcessManager.ProcessStarted',
        payload: { processId: instance.id, processType: 'order', correlationKey: orderId },
      },
    ]);
    expect(history[1]!.commands).toEqual([{ kind: 'command', type: 'ShipOrder', payload: { orderId } }]);
  });

  it('sends commands only after the step is committed, linked to the process and the event', async () => {
    const { orderId, instance, bus, recorder } = await start();
    const payment = withMessageId(new PaymentReceived(orderId), uniqueKey('payment-msg'));
    bus.publish(payment);
    await waitFor(() => recorder.commandsOf(ShipOrder).length === 1, 'ShipOrder handled');

    const [charge, ship] = recorder.commands;
    expect(charge!.command).toEqual(new ChargeCard(orderId, 42));
    expect(charge!.committedVersion).toBe(1);
    expect(ship!.committedVersion).toBe(2);
    expect(ship!.metadata).toMatchObject({
      messageId: expect.any(String),
      correlationId: instance.id,
      causationId: getMetadata(payment)!.messageId,
    });
    expect(charge!.metadata?.correlationId).toBe(instance.id);
    expect(charge!.metadata?.messageId).not.toBe(ship!.metadata?.messageId);
  });

  it('publishes ProcessStarted, ProcessCompleted and ProcessFailed to the app’s event handlers', async () => {
    const { orderId, instance, bus, recorder } = await start();
    bus.publish(new PaymentReceived(orderId));
    bus.publish(new OrderShipped(orderId));
    await waitFor(() => recorder.eventsOf(ProcessCompleted).length === 1, 'ProcessCompleted');
    const declinedId = uniqueKey('order');
    bus.publish(new OrderPlaced(declinedId, 7));
    bus.publish(new PaymentDeclined(declinedId, 'insufficient funds'));
    await waitFor(() => recorder.eventsOf(ProcessFailed).length === 1, 'ProcessFailed');

    const lifecycle = { processId: instance.id, processType: 'order', correlationKey: orderId };
    expect(recorder.eventsOf(ProcessStarted).map((e) => e.correlationKey)).toEqual([orderId, declinedId]);
    expect(recorder.eventsOf(ProcessStarted)[0]).toMatchObject(lifecycle);
    expect(recorder.eventsOf(ProcessCompleted)).toEqual([expect.objectContaining(lifecycle)]);
    expect(recorder.eventsOf(ProcessFailed)).toEqual([
      expect.objectContaining({ correlationKey: declinedId, reason: 'payment declined: insufficient funds' }),
    ]);
  });
});
