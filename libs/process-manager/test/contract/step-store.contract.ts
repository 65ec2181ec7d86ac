import { describe, expect, it } from '@jest/globals';
import { ConcurrencyConflictError } from '../../src/errors/index.js';
import type { Decision } from '../../src/engine/decision.js';
import type { ProcessStore } from '../../src/ports/process-store.js';
import type { LoadQuery } from '../../src/ports/records.js';
import { DISPATCH_LEASE_MS } from '../../src/ports/store-rules.js';
import { at, ids, key, next, outboxRecord, plus, start, uuid } from './decisions.js';
import type { OpenStore } from './store-under-test.js';

const FAR = at(100 * 24 * 3600);

const byKey = (decision: Decision, messageId = uuid()): LoadQuery => ({
  type: decision.instance.type,
  correlationKey: decision.instance.correlationKey,
  associationKey: undefined,
  messageId,
});

/**
 * Everything a step can leave behind, to show that a rejected one left nothing. Its claims lease for
 * no time (until `FAR`, when they are made), so they change nothing that a later footprint sees.
 */
async function footprint(store: ProcessStore, decision: Decision) {
  const { id } = decision.instance;
  return {
    instance: await store.get(id),
    history: await store.history(id),
    handled: await store.hasHandled(decision.instance.type, decision.inbox.messageId),
    outbox: ids(await store.claimOutbox(FAR, FAR, 500)).sort(),
    timers: (await store.claimDueTimers(FAR, FAR, 500)).map((timer) => timer.id).sort(),
  };
}

/** What the runner needs from a store: load an instance, commit one step whole or not at all. */
export function describeStepStore(name: string, open: OpenStore): void {
  describe(`StepStore contract: ${name}`, () => {
    it('loads nothing for a key no instance holds', async () => {
      const { store } = await open();
      const first = start();

      expect(await store.load(byKey(first))).toEqual({ instance: null, handled: false });
    });

    it('commits a new instance and loads it by key and by id (of its type only)', async () => {
      const { store } = await open();
      const first = start({ state: { lines: [1, 2], note: 'a "quoted" \\ value' }, stateName: 'placed' });
      await store.commit(first);
      const second = next(first.instance, { at: at(5), lastError: 'flaky', state: { lines: [3] } });
      await store.commit(second);

      expect((await store.load(byKey(first))).instance).toEqual(second.instance);
      const byId = { ...byKey(first), processId: first.instance.id };
      expect((await store.load(byId)).instance).toEqual(second.instance);
      expect((await store.load({ ...byId, type: 'invoice' })).instance).toBeNull();
      expect((await store.load({ ...byKey(first), type: 'invoice' })).instance).toBeNull();
    });

    it('reports a message its type already handled (inbox), and only for that type', async () => {
      const { store } = await open();
      const first = start();
      await store.commit(first);

      expect((await store.load(byKey(first, first.inbox.messageId))).handled).toBe(true);
      expect((await store.load(byKey(first))).handled).toBe(false);
      const other = { ...byKey(first, first.inbox.messageId), type: 'invoice' };
      expect(await store.load(other)).toEqual({ instance: null, handled: false });
      expect(await store.hasHandled('order', first.inbox.messageId)).toBe(true);
      expect(await store.hasHandled('invoice', first.inbox.messageId)).toBe(false);
    });

    it('rejects a step whose expected version is stale, and writes nothing of it', async () => {
      const { store } = await open();
      const first = start({ schedule: [{ name: 'remind', dueAt: at(60) }] });
      await store.commit(first);
      await store.commit(next(first.instance, { at: at(1), state: { won: true } }));
      const before = await footprint(store, first);
      const stale = next(first.instance, {
        at: at(2),
        state: { lost: true },
        send: [{}],
        associate: [{ key: 'paymentId', value: key('pay') }],
        schedule: [{ name: 'remind', dueAt: at(30) }, { dueAt: at(40) }],
        cancel: ['remind'],
      });

      await expect(store.commit(stale)).rejects.toBeInstanceOf(ConcurrencyConflictError);
      expect(await footprint(store, first)).toEqual(before);
      expect(await store.hasHandled('order', stale.inbox.messageId)).toBe(false);
      const { value } = stale.associations[0]!;
      const byAssociation = { ...byKey(first), correlationKey: value };
      expect((await store.load(byAssociation)).instance).toBeNull();
    });

    it('rejects a new instance whose id exists', async () => {
      const { store } = await open();
      const first = start();
      await store.commit(first);

      const again = start({ id: first.instance.id, key: key() });
      await expect(store.commit(again)).rejects.toBeInstanceOf(ConcurrencyConflictError);
      expect(await store.get(first.instance.id)).toEqual(first.instance);
    });

    it('rejects a new instance that expects a version', async () => {
      const { store } = await open();
      const first = { ...start(), expectedVersion: 1 };

      await expect(store.commit(first)).rejects.toBeInstanceOf(ConcurrencyConflictError);
      expect(await store.get(first.instance.id)).toBeNull();
    });

    it('rejects a step that changes the instance type or key', async () => {
      const { store } = await open();
      const first = start();
      await store.commit(first);

      for (const changed of [
        { ...first.instance, type: 'invoice' },
        { ...first.instance, correlationKey: key() },
      ]) {
        const step = next(changed);
        await expect(store.commit(step)).rejects.toBeInstanceOf(ConcurrencyConflictError);
      }
      expect(await store.get(first.instance.id)).toEqual(first.instance);
      expect(await store.history(first.instance.id)).toHaveLength(1);
    });

    it('keeps one active instance per (type, key): a second start for the key is a conflict', async () => {
      const { store } = await open();
      const first = start();
      await store.commit(first);
      const { correlationKey } = first.instance;

      const rival = start({ key: correlationKey });
      await expect(store.commit(rival)).rejects.toBeInstanceOf(ConcurrencyConflictError);
      expect(await store.get(rival.instance.id)).toBeNull();
      await store.commit(start({ key: correlationKey, type: 'invoice' }));
      await store.commit(start({ key: key() }));
      expect((await store.load(byKey(first))).instance?.id).toBe(first.instance.id);
    });

    it('lets a compensating instance hold its key', async () => {
      const { store } = await open();
      const first = start();
      await store.commit(first);
      await store.commit(next(first.instance, { status: 'compensating' }));

      const rival = start({ key: first.instance.correlationKey });
      await expect(store.commit(rival)).rejects.toBeInstanceOf(ConcurrencyConflictError);
    });

    it('lets a failed instance hold its key until acknowledged; then a new one takes it', async () => {
      const { store } = await open();
      const first = start();
      await store.commit(first);
      const failed = next(first.instance, { status: 'failed', lastError: 'declined' });
      await store.commit(failed);
      const { correlationKey } = first.instance;

      expect((await store.load(byKey(first))).instance?.id).toBe(first.instance.id);
      await expect(store.commit(start({ key: correlationKey }))).rejects.toBeInstanceOf(
        ConcurrencyConflictError,
      );
      expect(await store.acknowledgeFailure(first.instance.id, at(10))).toBe(true);
      expect((await store.load(byKey(first))).instance).toBeNull();
      const successor = start({ key: correlationKey, at: at(11) });
      await store.commit(successor);
      expect((await store.load(byKey(first))).instance?.id).toBe(successor.instance.id);
    });

    it('frees the key of a completed or a cancelled instance', async () => {
      const { store } = await open();
      const completed = start();
      await store.commit(completed);
      await store.commit(next(completed.instance, { status: 'completed' }));
      const cancelled = start();
      await store.commit(cancelled);
      expect(await store.cancel(cancelled.instance.id, 'customer called', at(3))).toBe(true);

      for (const ended of [completed, cancelled]) {
        expect((await store.load(byKey(ended))).instance).toBeNull();
        const successor = start({ key: ended.instance.correlationKey, at: at(4) });
        await store.commit(successor);
        expect((await store.load(byKey(ended))).instance?.id).toBe(successor.instance.id);
      }
    });

    it('rejects a step for a message its type already handled, and writes nothing of it', async () => {
      const { store } = await open();
      const first = start();
      await store.commit(first);
      const second = next(first.instance, { at: at(1) });
      await store.commit(second);
      const before = await footprint(store, first);

      const duplicate = next(second.instance, {
        messageId: second.inbox.messageId,
        at: at(2),
        send: [{}],
        schedule: [{ dueAt: at(9) }],
      });
      await expect(store.commit(duplicate)).rejects.toBeInstanceOf(ConcurrencyConflictError);
      expect(await footprint(store, first)).toEqual(before);
    });

    it('rejects a new instance for a message its type already handled (a redelivered start)', async () => {
      const { store } = await open();
      const first = start();
      await store.commit(first);
      await store.commit(next(first.instance, { status: 'completed' }));

      const redelivered = start({ key: first.instance.correlationKey, messageId: first.inbox.messageId });
      await expect(store.commit(redelivered)).rejects.toBeInstanceOf(ConcurrencyConflictError);
      expect(await store.get(redelivered.instance.id)).toBeNull();
    });

    it('rejects a step whose outgoing message id is already in the outbox', async () => {
      const { store } = await open();
      const first = start({ send: [{ type: 'ReserveStock' }] });
      await store.commit(first);
      const sentId = first.outgoing[0]!.metadata.messageId;
      const before = await footprint(store, first);

      const again = next(first.instance, { send: [{ messageId: sentId, type: 'ChargeCard' }] });
      await expect(store.commit(again)).rejects.toBeInstanceOf(ConcurrencyConflictError);
      expect(await footprint(store, first)).toEqual(before);
    });

    it('commits the steps of many instances at once, each whole', async () => {
      const { store } = await open();
      const firsts = Array.from({ length: 40 }, (_, index) =>
        start({ send: [{ payload: { index } }], schedule: [{ name: 'remind', dueAt: at(60) }] }),
      );
      await Promise.all(firsts.map((decision) => store.commit(decision)));
      const seconds = firsts.map((decision) => next(decision.instance, { at: at(1), stateName: 'paid' }));
      await Promise.all(seconds.map((decision) => store.commit(decision)));

      for (const decision of seconds) {
        expect(await store.get(decision.instance.id)).toEqual(decision.instance);
        expect(await store.history(decision.instance.id)).toHaveLength(2);
      }
      expect(await store.claimOutbox(FAR, plus(FAR, 1), 500)).toHaveLength(40);
      expect(await store.claimDueTimers(FAR, plus(FAR, 1), 500)).toHaveLength(40);
    });

    it('commits exactly one of two concurrent steps on one instance', async () => {
      const { store } = await open();
      const first = start();
      await store.commit(first);

      const results = await Promise.allSettled(
        ['a', 'b'].map((branch) => store.commit(next(first.instance, { state: { branch } }))),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const [lost] = results.filter((result) => result.status === 'rejected');
      expect((lost as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyConflictError);
      expect(await store.history(first.instance.id)).toHaveLength(2);
    });

    it('commits exactly one of two concurrent starts for one key', async () => {
      const { store } = await open();
      const correlationKey = key();

      const results = await Promise.allSettled(
        [start({ key: correlationKey }), start({ key: correlationKey })].map((d) => store.commit(d)),
      );
      expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
      const { items } = await store.list({ type: 'order' });
      expect(items.filter((item) => item.correlationKey === correlationKey)).toHaveLength(1);
    });

    describe('associations', () => {
      it('loads an instance by a value it associated, by any key name or by that one', async () => {
        const { store } = await open();
        const payment = key('pay');
        const first = start({ associate: [{ key: 'paymentId', value: payment }] });
        await store.commit(first);
        const query = { ...byKey(first), correlationKey: payment };

        expect((await store.load(query)).instance?.id).toBe(first.instance.id);
        expect((await store.load({ ...query, associationKey: 'paymentId' })).instance?.id).toBe(
          first.instance.id,
        );
        expect((await store.load({ ...query, associationKey: 'refundId' })).instance).toBeNull();
        expect((await store.load({ ...query, type: 'invoice' })).instance).toBeNull();
      });

      it('looks only at associations when a key name is given, not at the instance key', async () => {
        const { store } = await open();
        const first = start();
        await store.commit(first);

        const query = { ...byKey(first), associationKey: 'paymentId' };
        expect((await store.load(query)).instance).toBeNull();
      });

      it('loads nothing by the associations of an ended instance', async () => {
        const { store } = await open();
        const payment = key('pay');
        const first = start({ associate: [{ key: 'paymentId', value: payment }] });
        await store.commit(first);
        await store.commit(next(first.instance, { status: 'completed' }));

        const query = { ...byKey(first), correlationKey: payment };
        expect((await store.load(query)).instance).toBeNull();
      });

      it('resolves a value that is one instance key and another one association to the key holder', async () => {
        const { store } = await open();
        const holder = start();
        const value = holder.instance.correlationKey;
        const associated = start({ associate: [{ key: 'orderId', value }] });
        await store.commit(associated);
        await store.commit(holder);

        expect((await store.load(byKey(holder))).instance?.id).toBe(holder.instance.id);
        const restricted = { ...byKey(holder), associationKey: 'orderId' };
        expect((await store.load(restricted)).instance?.id).toBe(associated.instance.id);
      });

      it('resolves a value that several live instances associated to the one started first', async () => {
        const { store } = await open();
        const value = key('customer');
        const [newer, older, oldest] = [5, 3, 0].map((second) =>
          start({ at: at(second), associate: [{ key: 'customerId', value }] }),
        );
        for (const decision of [newer!, older!, oldest!]) await store.commit(decision);
        const query = { ...byKey(oldest!), correlationKey: value };

        expect((await store.load(query)).instance?.id).toBe(oldest!.instance.id);
        const restricted = { ...query, associationKey: 'customerId' };
        expect((await store.load(restricted)).instance?.id).toBe(oldest!.instance.id);
        await store.commit(next(oldest!.instance, { status: 'completed' }));
        expect((await store.load(query)).instance?.id).toBe(older!.instance.id);
      });

      it('accepts the same association again, in a later step or twice in one', async () => {
        const { store } = await open();
        const association = { key: 'paymentId', value: key('pay') };
        const first = start({ associate: [association, association] });
        await store.commit(first);
        const second = next(first.instance, { associate: [association] });
        await store.commit(second);

        const query = { ...byKey(first), correlationKey: association.value };
        expect((await store.load(query)).instance).toEqual(second.instance);
      });
    });

    describe('stateless reactions', () => {
      it('writes the inbox mark and the messages once; a duplicate is refused and writes nothing', async () => {
        const { store } = await open();
        const messageId = uuid();
        const sent = outboxRecord({ type: 'SendReceipt' });

        expect(await store.commitReaction('Receipts.onPaid', messageId, [sent], at(0))).toBe(true);
        const duplicate = outboxRecord({ type: 'SendReceipt' });
        expect(await store.commitReaction('Receipts.onPaid', messageId, [duplicate], at(1))).toBe(false);

        expect(await store.hasHandled('Receipts.onPaid', messageId)).toBe(true);
        const claimed = await store.claimOutbox(FAR, plus(FAR, 1), 500);
        expect(claimed).toEqual([{ ...sent, attempts: 0 }]);
      });

      it('dedupes per handler: another handler takes the same message', async () => {
        const { store } = await open();
        const messageId = uuid();
        await store.commitReaction('Receipts.onPaid', messageId, [], at(0));

        expect(await store.hasHandled('Ledger.onPaid', messageId)).toBe(false);
        expect(await store.commitReaction('Ledger.onPaid', messageId, [outboxRecord()], at(0))).toBe(true);
      });

      it('commits many reactions at once; of two deliveries of one message to one handler, one wins whole', async () => {
        const { store } = await open();
        const messageIds = Array.from({ length: 12 }, () => uuid());
        const deliveries = messageIds.flatMap((messageId, n) =>
          ['Receipts.onPaid', 'Receipts.onPaid', 'Ledger.onPaid'].map((handler) => ({
            handler,
            messageId,
            sent: Array.from({ length: n % 3 }, () => outboxRecord({ type: `Send${n}` })),
          })),
        );

        const committed = await Promise.all(
          deliveries.map(({ handler, messageId, sent }) =>
            store.commitReaction(handler, messageId, sent, at(0)),
          ),
        );

        const winners = deliveries.filter((_, index) => committed[index]);
        const perHandlerAndMessage = new Set(
          winners.map(({ handler, messageId }) => `${handler} ${messageId}`),
        );
        expect(winners).toHaveLength(messageIds.length * 2);
        expect(perHandlerAndMessage.size).toBe(messageIds.length * 2);
        for (const messageId of messageIds)
          expect(await store.hasHandled('Ledger.onPaid', messageId)).toBe(true);
        const claimed = await store.claimOutbox(FAR, plus(FAR, 1), 500);
        expect(ids(claimed).sort()).toEqual(
          winners.flatMap(({ sent }) => sent.map((record) => record.metadata.messageId)).sort(),
        );
      });

      it('leaves its messages to the fast path for the dispatch lease', async () => {
        const { store } = await open();
        const sent = outboxRecord();
        await store.commitReaction('Receipts.onPaid', uuid(), [sent], at(0));

        expect(await store.claimOutbox(plus(at(0), DISPATCH_LEASE_MS - 1), FAR, 10)).toEqual([]);
        expect(ids(await store.claimOutbox(plus(at(0), DISPATCH_LEASE_MS), FAR, 10))).toEqual([
          sent.metadata.messageId,
        ]);
      });
    });
  });
}
