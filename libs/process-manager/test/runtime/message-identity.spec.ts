import { describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import {
  MessageType,
  OnEvent,
  type ProcessContext,
  ProcessManager,
  ProcessManagerService,
} from 'nestjs-process-manager';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { ORDER_PROVIDERS, OrderPlaced, OrderShipped } from '../support/fixtures/orders.js';
import { uniqueKey, withMessageId } from '../support/messages.js';
import { waitFor } from '../support/wait-for.js';

/** Handled by the process below. */
class ParcelSent {
  constructor(readonly parcelId: string) {}
}
/** Named by @MessageType, so its name is the wire name whatever the class is called. */
@MessageType('shipping.parcel-lost')
class ParcelLost {
  constructor(readonly parcelId: string) {}
}

@ProcessManager({ name: 'parcel-tracking', correlationKey: 'parcelId' })
class ParcelTracking {
  @OnEvent(ParcelSent, { start: true })
  sent(_event: ParcelSent, ctx: ProcessContext<{ events: string[] }>) {
    ctx.state.events = ['sent'];
  }

  @OnEvent(ParcelLost, { start: true })
  lost(_event: ParcelLost, ctx: ProcessContext<{ events: string[] }>) {
    ctx.state.events = ['lost'];
  }
}

/** Another module's class that happens to share the handled class's name. */
const Impostor = (() => {
  class ParcelSent {
    constructor(readonly parcelId: string) {}
  }
  return ParcelSent;
})();

describe('routing by message class (PostgreSQL)', () => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  it('delivers no event whose class merely shares a handled class name, and says so once', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const app = await createApp({ url: db.url, providers: [ParcelTracking] });
    const processes = app.get(ProcessManagerService);
    const [impostor, again, real] = [uniqueKey('parcel'), uniqueKey('parcel'), uniqueKey('parcel')];

    await processes.deliver(new Impostor(impostor));
    app.get(EventBus).publish(new Impostor(again));
    await processes.deliver(new ParcelSent(real));

    expect(await processes.find('parcel-tracking', real)).toMatchObject({ state: { events: ['sent'] } });
    expect(await processes.find('parcel-tracking', impostor)).toBeNull();
    expect(await processes.find('parcel-tracking', again)).toBeNull();
    const warnings = warn.mock.calls.filter(([message]) => String(message).includes('not the ParcelSent'));
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]![0])).toContain("@MessageType('...')");
  });

  it('still routes a @MessageType class, and ignores what is no object at all', async () => {
    const app = await createApp({ url: db.url, providers: [ParcelTracking] });
    const processes = app.get(ProcessManagerService);
    const parcelId = uniqueKey('parcel');
    const bus = app.get(EventBus);
    bus.publish(null as never);
    bus.publish(Object.create(null) as never);
    await processes.deliver(new ParcelLost(parcelId));
    // The subscription survived the null-prototype object: later events still arrive.
    const later = uniqueKey('parcel');
    bus.publish(new ParcelSent(later));
    await waitFor(() => processes.find('parcel-tracking', later), 'the event published after them');
    expect(await processes.find('parcel-tracking', parcelId)).toMatchObject({ state: { events: ['lost'] } });
  });
});

describe('events ignored because of the state (PostgreSQL)', () => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  it('are logged with the process type, instance id, state and why', async () => {
    const log = jest.spyOn(Logger.prototype, 'log');
    const app = await createApp({ url: db.url, providers: ORDER_PROVIDERS });
    const processes = app.get(ProcessManagerService);
    const orderId = uniqueKey('order');
    await processes.deliver(new OrderPlaced(orderId, 10));
    const instance = (await processes.find('order', orderId))!;

    await processes.deliver(withMessageId(new OrderShipped(orderId), 'shipped-too-early'));

    expect((await processes.history(instance.id)).at(-1)).toMatchObject({ outcome: 'ignored' });
    const lines = log.mock.calls
      .map(([message]) => String(message))
      .filter((line) => line.includes('ignored'));
    expect(lines).toEqual([
      `order ${instance.id} (running, state awaiting-payment): OrderShipped shipped-too-early ignored: ` +
        `onShipped() runs in paid, instance is in awaiting-payment`,
    ]);
  });
});
