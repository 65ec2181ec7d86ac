import { describe, expect, it } from '@jest/globals';
import { DISPATCH_LEASE_MS } from '../../src/ports/store-rules.js';
import { at, ids, next, outboxRecord, plus, start } from './decisions.js';
import type { OpenStore } from './store-under-test.js';

const FAR = at(100 * 24 * 3600);
/** When rows enqueued at `at(seconds)` become the relay's. */
const due = (seconds: number) => plus(at(seconds), DISPATCH_LEASE_MS);

/** The outbox as the dispatcher, the relay and the app's own `Outbox` use it. */
export function describeOutboxStore(name: string, open: OpenStore): void {
  describe(`OutboxStore contract: ${name}`, () => {
    it("leaves a step's messages to the fast path for the dispatch lease, then lets the relay claim them", async () => {
      const { store } = await open();
      const first = start({
        at: at(0),
        send: [
          { kind: 'command', type: 'ReserveStock', payload: { sku: 'a', qty: 2 } },
          { kind: 'event', type: 'OrderAccepted', payload: { total: 42 } },
        ],
      });
      await store.commit(first);

      expect(await store.claimOutbox(plus(due(0), -1), FAR, 10)).toEqual([]);
      const claimed = await store.claimOutbox(due(0), FAR, 10);
      expect(claimed).toHaveLength(2);
      expect(claimed).toEqual(
        expect.arrayContaining(
          first.outgoing.map(({ kind, type, payload, metadata }) => ({
            processId: first.instance.id,
            kind,
            type,
            payload,
            metadata,
            attempts: 0,
          })),
        ),
      );
    });

    it('enqueues messages outside a step under the same lease, ignoring an id it already has', async () => {
      const { store } = await open();
      const record = outboxRecord({ payload: { first: true } });
      await store.enqueue([record], at(0));
      await store.enqueue([{ ...record, payload: { first: false } }, outboxRecord()], at(1));
      await store.enqueue([], at(2));

      expect(await store.claimOutbox(plus(due(0), -1), FAR, 10)).toEqual([]);
      expect(await store.claimOutbox(due(0), FAR, 10)).toEqual([{ ...record, attempts: 0 }]);
      expect(await store.claimOutbox(due(1), FAR, 10)).toHaveLength(1);
    });

    // Which rows a claim takes, not the order it returns them in (PostgreSQL's UPDATE … RETURNING keeps none).
    it('claims the rows available first, then created first, up to the limit', async () => {
      const { store } = await open();
      const created = [10, 0, 5, 20].map((second) => ({ second, record: outboxRecord() }));
      for (const { second, record } of created) await store.enqueue([record], at(second));
      const [late, early, middle, latest] = created.map(({ record }) => record.metadata.messageId);
      const retryAt = at(100);
      for (const id of [late!, early!, middle!]) await store.markDispatchFailed(id, 'boom', retryAt, at(50));
      await store.markDispatchFailed(latest!, 'boom', plus(retryAt, -1000), at(50));

      for (const expected of [latest, early, middle, late]) {
        expect(ids(await store.claimOutbox(retryAt, FAR, 1))).toEqual([expected]);
      }
      expect(await store.claimOutbox(retryAt, FAR, 1)).toEqual([]);
    });

    it('does not claim a claimed row again until its lease lapses', async () => {
      const { store } = await open();
      const record = outboxRecord();
      await store.enqueue([record], at(0));
      const leaseUntil = plus(due(0), 60_000);

      expect(ids(await store.claimOutbox(due(0), leaseUntil, 10))).toEqual([record.metadata.messageId]);
      expect(await store.claimOutbox(due(0), leaseUntil, 10)).toEqual([]);
      expect(await store.claimOutbox(plus(leaseUntil, -1), FAR, 10)).toEqual([]);
      expect(await store.claimOutbox(leaseUntil, FAR, 10)).toEqual([{ ...record, attempts: 0 }]);
    });

    it('never claims a dispatched row again', async () => {
      const { store } = await open();
      const first = start({ send: [{}, {}] });
      await store.commit(first);
      const [sent, pending] = first.outgoing.map((message) => message.metadata.messageId);
      await store.markDispatched([sent!, 'e2c7a7d0-0000-4000-8000-000000000000'], at(1));
      await store.markDispatched([], at(1));

      expect(ids(await store.claimOutbox(FAR, FAR, 10))).toEqual([pending]);
      await store.markDispatched([pending!], at(2));
      expect(await store.claimOutbox(plus(FAR, 1), FAR, 10)).toEqual([]);
    });

    it('counts a failed send and offers the row again from its retry time', async () => {
      const { store } = await open();
      const record = outboxRecord();
      await store.enqueue([record], at(0));
      await store.claimOutbox(due(0), FAR, 10);
      const retryAt = plus(due(0), 5_000);
      await store.markDispatchFailed(record.metadata.messageId, 'broker down', retryAt, due(0));

      expect(await store.claimOutbox(plus(retryAt, -1), FAR, 10)).toEqual([]);
      expect(await store.claimOutbox(retryAt, retryAt, 10)).toEqual([{ ...record, attempts: 1 }]);
      await store.markDispatchFailed(record.metadata.messageId, 'broker down', plus(retryAt, 1), retryAt);
      expect(await store.claimOutbox(plus(retryAt, 1), FAR, 10)).toEqual([{ ...record, attempts: 2 }]);
    });

    it('parks a row whose attempts ran out (retryAt null): never claimed again', async () => {
      const { store } = await open();
      const [parked, other] = [outboxRecord(), outboxRecord()];
      await store.enqueue([parked!, other!], at(0));
      await store.markDispatchFailed(parked!.metadata.messageId, 'no handler', null, at(1));

      expect(ids(await store.claimOutbox(FAR, FAR, 10))).toEqual([other!.metadata.messageId]);
      expect(ids(await store.claimOutbox(plus(FAR, 1), FAR, 10))).toEqual([other!.metadata.messageId]);
    });

    it('never gives one row to two concurrent claimers', async () => {
      const { store, peer } = await open();
      const records = Array.from({ length: 40 }, () => outboxRecord());
      await store.enqueue(records, at(0));

      const [mine, theirs] = await Promise.all([
        store.claimOutbox(due(0), FAR, 30),
        peer.claimOutbox(due(0), FAR, 30),
      ]);
      const claimed = [...ids(mine), ...ids(theirs)];
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.sort()).toEqual(ids(records).sort());
    });

    (open.rowLocks ? it : it.skip)(
      'skips a row another claimer holds, without waiting (SKIP LOCKED)',
      async () => {
        const { store, holdRowLock } = await open();
        const first = start({ send: [{}, {}, {}] });
        await store.commit(first);
        const [held, ...free] = ids(first.outgoing);
        const release = await holdRowLock!('pm_outbox', held!);
        try {
          expect(ids(await store.claimOutbox(FAR, FAR, 10)).sort()).toEqual(free.sort());
        } finally {
          await release();
        }
        expect(ids(await store.claimOutbox(FAR, FAR, 10)).sort()).toEqual(ids(first.outgoing).sort());
      },
    );

    it('claims only rows in scope: of a type this app rebuilds, written by a process type it runs or by none', async () => {
      const { store } = await open();
      const order = start({ type: 'order', send: [{ type: 'ShipOrder' }, { type: 'Unknown' }] });
      const invoice = start({ type: 'invoice', send: [{ type: 'ShipOrder' }] });
      await store.commit(order);
      await store.commit(invoice);
      const outside = outboxRecord({ type: 'SendInvoice' });
      await store.enqueue([outside], at(0));
      const scope = { processTypes: ['order'], routes: [], messageTypes: ['ShipOrder', 'SendInvoice'] };

      const claimed = await store.claimOutbox(FAR, FAR, 10, scope);
      expect(ids(claimed).sort()).toEqual(
        [order.outgoing[0]!.metadata.messageId, outside.metadata.messageId].sort(),
      );
      expect(await store.claimOutbox(plus(FAR, 1), FAR, 10)).toHaveLength(4);
    });

    it('keeps the rows of a later step of the instance apart from the earlier ones', async () => {
      const { store } = await open();
      const first = start({ at: at(0), send: [{}] });
      await store.commit(first);
      const second = next(first.instance, { at: at(10), send: [{}] });
      await store.commit(second);

      expect(ids(await store.claimOutbox(due(0), FAR, 10))).toEqual(ids(first.outgoing));
      expect(ids(await store.claimOutbox(due(10), FAR, 10))).toEqual(ids(second.outgoing));
    });
  });
}
