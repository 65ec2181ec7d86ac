import { describe, expect, it } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { type ProcessInstance, ProcessManagerService } from 'nestjs-process-manager';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { COUNTER_PROVIDERS, Tick } from '../support/fixtures/counter.js';
import { ORDER_PROVIDERS, OrderPlaced } from '../support/fixtures/orders.js';
import { STORES, uniqueKey } from '../support/messages.js';
import { waitFor } from '../support/wait-for.js';

describe.each(STORES)('list() and find() (%s store)', (store) => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  /** Five running orders and two completed counters, started one after another. */
  async function seed() {
    const app = await createApp({
      store,
      url: db.url,
      providers: [...ORDER_PROVIDERS, ...COUNTER_PROVIDERS],
    });
    const processes = app.get(ProcessManagerService);
    const started = async (type: string, key: string, event: object) => {
      app.get(EventBus).publish(event);
      return waitFor(
        async () => (await processes.list({ type, limit: 500 })).items.find((p) => p.correlationKey === key),
        key,
      );
    };
    const orders: ProcessInstance[] = [];
    for (let i = 0; i < 5; i++) {
      const key = uniqueKey('order');
      orders.push(await started('order', key, new OrderPlaced(key, i)));
    }
    const counters: ProcessInstance[] = [];
    for (let i = 0; i < 2; i++) {
      const key = uniqueKey('counter');
      counters.push(await started('counter', key, new Tick(key, 1)));
    }
    return { processes, orders, counters };
  }

  it('filters by type and status', async () => {
    const { processes, orders, counters } = await seed();
    const ids = (items: ProcessInstance[]) => items.map((item) => item.id);

    const byType = (await processes.list({ type: 'order', limit: 500 })).items;
    expect(byType.every((item) => item.type === 'order')).toBe(true);
    expect(ids(byType)).toEqual(expect.arrayContaining(ids(orders)));

    const completed = (await processes.list({ status: 'completed', limit: 500 })).items;
    expect(completed.every((item) => item.status === 'completed')).toBe(true);
    expect(ids(completed)).toEqual(expect.arrayContaining(ids(counters)));
    expect(ids(completed)).not.toEqual(expect.arrayContaining([orders[0]!.id]));

    const either = (await processes.list({ type: 'counter', status: ['running', 'completed'], limit: 500 }))
      .items;
    expect(ids(either)).toEqual(expect.arrayContaining(ids(counters)));
    expect((await processes.list({ type: 'counter', status: 'failed' })).items).toEqual([]);
  });

  it('pages newest first with nextCursor until the last page', async () => {
    const { processes, orders } = await seed();
    const seen: ProcessInstance[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await processes.list({ type: 'order', limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 100);

    expect(cursor).toBeUndefined();
    expect(new Set(seen.map((item) => item.id)).size).toBe(seen.length);
    const newestFirst = [...seen].sort(
      (a, b) => new Date(b.startedAt).getTime() - new Date(a.startedAt).getTime() || (a.id < b.id ? 1 : -1),
    );
    expect(seen.map((item) => item.id)).toEqual(newestFirst.map((item) => item.id));
    const mine = seen.filter((item) => orders.some((order) => order.id === item.id));
    expect(mine.map((item) => item.id)).toEqual([...orders].reverse().map((order) => order.id));
  });

  it('finds the active instance of a key, and nothing for an unknown key or type', async () => {
    const { processes, orders } = await seed();
    const [first] = orders;
    expect(await processes.find('order', first!.correlationKey)).toMatchObject({
      id: first!.id,
      type: 'order',
      status: 'running',
    });
    expect(await processes.find('order', uniqueKey('order'))).toBeNull();
    expect(await processes.find('counter', first!.correlationKey)).toBeNull();
  });
});
