import { describe, expect, it } from '@jest/globals';
import { at, failure, key, next, outboxRecord, start, uuid } from './decisions.js';
import type { OpenStore } from './store-under-test.js';

/** Retention's deletes: what goes past each cutoff, what always stays, and in what batches. */
export function describeRetentionStore(name: string, open: OpenStore): void {
  describe(`RetentionStore contract: ${name}`, () => {
    describe('deleteInboxMarks', () => {
      it('deletes marks handled before the cutoff, oldest first, up to the limit; later ones dedupe still', async () => {
        const { store } = await open();
        const [oldest, old, recent] = [uuid(), uuid(), uuid()];
        await store.commitReaction('Audit.onPlaced', old, [], at(10));
        await store.commitReaction('Audit.onPlaced', oldest, [], at(0));
        await store.commitReaction('Audit.onPlaced', recent, [], at(20));

        expect(await store.deleteInboxMarks(at(15), 1)).toBe(1);
        expect(await store.hasHandled('Audit.onPlaced', oldest)).toBe(false);
        expect(await store.hasHandled('Audit.onPlaced', old)).toBe(true);
        expect(await store.deleteInboxMarks(at(15), 10)).toBe(1);
        expect(await store.deleteInboxMarks(at(15), 10)).toBe(0);
        expect(await store.hasHandled('Audit.onPlaced', old)).toBe(false);
        expect(await store.hasHandled('Audit.onPlaced', recent)).toBe(true);
        expect(await store.commitReaction('Audit.onPlaced', recent, [], at(30))).toBe(false);
        expect(await store.commitReaction('Audit.onPlaced', old, [], at(30))).toBe(true);
      });

      it("deletes a step's mark by the step's time, leaving the instance", async () => {
        const { store } = await open();
        const first = start({ at: at(0) });
        const second = next(first.instance, { at: at(20) });
        await store.commit(first);
        await store.commit(second);

        expect(await store.deleteInboxMarks(at(10), 10)).toBe(1);
        const query = {
          type: 'order',
          correlationKey: first.instance.correlationKey,
          associationKey: undefined,
        };
        const loaded = (messageId: string) => store.load({ ...query, messageId });
        expect(await loaded(first.inbox.messageId)).toMatchObject({ handled: false });
        expect(await loaded(second.inbox.messageId)).toMatchObject({ handled: true });
        expect(await store.get(first.instance.id)).toEqual(second.instance);
      });
    });

    describe('deleteDispatchedOutbox', () => {
      it('deletes rows dispatched before the cutoff; undispatched and given-up rows stay', async () => {
        const { store } = await open();
        const [early, late, pending, givenUp] = [1, 2, 3, 4].map(() => outboxRecord());
        await store.enqueue([early!, late!, pending!, givenUp!], at(0));
        await store.markDispatched([early!.metadata.messageId], at(10));
        await store.markDispatched([late!.metadata.messageId], at(30));
        await store.markDispatchFailed(givenUp!.metadata.messageId, 'broken', null, at(5));

        expect(await store.deleteDispatchedOutbox(at(20), 10)).toBe(1);
        expect(await store.deleteDispatchedOutbox(at(20), 10)).toBe(0);
        expect(await store.deleteDispatchedOutbox(at(31), 10)).toBe(1);
        expect(await store.deleteDispatchedOutbox(at(1_000), 10)).toBe(0);
        const claimed = await store.claimOutbox(at(100), at(200), 10);
        expect(claimed.map((row) => row.metadata.messageId)).toEqual([pending!.metadata.messageId]);
        await store.markDispatched([givenUp!.metadata.messageId], at(40)); // an operator's retry sent it
        expect(await store.deleteDispatchedOutbox(at(41), 10)).toBe(1);
      });

      it('takes the oldest dispatched first, up to the limit', async () => {
        const { store } = await open();
        const rows = [1, 2, 3].map(() => outboxRecord());
        await store.enqueue(rows, at(0));
        for (const [i, row] of rows.entries())
          await store.markDispatched([row.metadata.messageId], at(30 - i));

        expect(await store.deleteDispatchedOutbox(at(100), 2)).toBe(2);
        await store.enqueue(rows, at(50)); // only the one left is a duplicate (ids are the rows' keys)
        const claimed = await store.claimOutbox(at(200), at(300), 10);
        expect(claimed.map((row) => row.metadata.messageId).sort()).toEqual(
          [rows[1]!, rows[2]!].map((row) => row.metadata.messageId).sort(),
        );
      });
    });

    describe('deleteResolvedDeadLetters', () => {
      it('keeps a dead letter retried with success until the cutoff passes its resolution', async () => {
        const { store } = await open();
        const dead = failure({ status: 'dead' });
        const open_ = failure({ status: 'dead' });
        const transient = failure();
        for (const record of [dead, open_, transient]) await store.recordFailure(record);
        await store.resolveFailure(dead.handler, dead.messageId, at(10));
        await store.resolveFailure(transient.handler, transient.messageId, at(10));

        expect(await store.deadLetters({})).toEqual([open_]);
        expect(await store.deleteResolvedDeadLetters(at(10), 10)).toBe(0);
        expect(await store.deleteResolvedDeadLetters(at(11), 10)).toBe(1); // the transient one was not kept
        expect(await store.deleteResolvedDeadLetters(at(11), 10)).toBe(0);
        expect(await store.deadLetters({})).toEqual([open_]);
      });

      it('keeps a delivery that failed again after its resolution as a new open failure', async () => {
        const { store } = await open();
        const dead = failure({ status: 'dead', attempts: 5 });
        await store.recordFailure(dead);
        await store.resolveFailure(dead.handler, dead.messageId, at(10));
        const again = failure({ messageId: dead.messageId, status: 'dead', attempts: 1, failedAt: at(20) });
        await store.recordFailure(again);

        expect(await store.failureAttempts(dead.handler, dead.messageId)).toBe(1);
        expect(await store.deleteResolvedDeadLetters(at(30), 10)).toBe(1);
        expect(await store.deadLetters({})).toEqual([again]);
      });
    });

    describe('deleteFinishedProcesses', () => {
      /** Commits an instance started at `at(0)` and, unless `running`, ended with `status` at `at(end)`. */
      const instance = async (
        store: Awaited<ReturnType<OpenStore>>['store'],
        status: 'running' | 'completed' | 'failed' | 'cancelled',
        end: number,
      ) => {
        const first = start({ at: at(0), associate: [{ key: 'invoice', value: key('inv') }] });
        await store.commit(first);
        if (status === 'cancelled') {
          await store.cancel(first.instance.id, 'test', at(end));
          return first;
        }
        const lastError = status === 'failed' ? 'declined' : undefined;
        if (status !== 'running')
          await store.commit(next(first.instance, { status, lastError, at: at(end) }));
        return first;
      };

      it('deletes instances completed or cancelled before the cutoff, with history and associations', async () => {
        const { store } = await open();
        const completed = await instance(store, 'completed', 10);
        const cancelled = await instance(store, 'cancelled', 10);
        const later = await instance(store, 'completed', 30);

        expect(await store.deleteFinishedProcesses(at(20), 10)).toBe(2);
        for (const gone of [completed, cancelled]) {
          expect(await store.get(gone.instance.id)).toBeNull();
          expect(await store.history(gone.instance.id)).toEqual([]);
          // The associations went with it (a dangling one would trip the lookup by its value).
          const value = gone.associations[0]!.value;
          const load = { type: 'order', correlationKey: value, associationKey: 'invoice', messageId: uuid() };
          expect((await store.load(load)).instance).toBeNull();
        }
        expect(await store.get(later.instance.id)).toMatchObject({ status: 'completed' });
        expect(await store.history(later.instance.id)).toHaveLength(2);
      });

      it('never deletes a live or failed-unacknowledged instance, however old', async () => {
        const { store } = await open();
        const running = await instance(store, 'running', 0);
        const failed = await instance(store, 'failed', 1);

        expect(await store.deleteFinishedProcesses(at(1_000_000), 10)).toBe(0);
        expect(await store.get(running.instance.id)).toMatchObject({ status: 'running' });
        expect(await store.get(failed.instance.id)).toMatchObject({ status: 'failed' });
      });

      it('deletes a failed instance by the time its failure was acknowledged', async () => {
        const { store } = await open();
        const failed = await instance(store, 'failed', 1);
        await store.acknowledgeFailure(failed.instance.id, at(50));

        expect(await store.deleteFinishedProcesses(at(40), 10)).toBe(0);
        expect(await store.deleteFinishedProcesses(at(60), 10)).toBe(1);
        expect(await store.get(failed.instance.id)).toBeNull();
      });

      it('keeps an instance with an undispatched outbox row or an open dead letter', async () => {
        const { store } = await open();
        const sending = start({ at: at(0) });
        const last = next(sending.instance, {
          status: 'completed',
          at: at(1),
          send: [{ type: 'ShipOrder' }],
        });
        await store.commit(sending);
        await store.commit(last);
        const parked = await instance(store, 'completed', 1);
        const deadLetter = failure({ status: 'dead', processId: parked.instance.id });
        await store.recordFailure(deadLetter);

        expect(await store.deleteFinishedProcesses(at(100), 10)).toBe(0);
        await store.markDispatched([last.outgoing[0]!.metadata.messageId], at(2));
        await store.resolveFailure(deadLetter.handler, deadLetter.messageId, at(2));
        expect(await store.deleteFinishedProcesses(at(100), 10)).toBe(2);
      });

      it('frees nothing a new instance needs: the key starts afresh', async () => {
        const { store } = await open();
        const old = await instance(store, 'completed', 1);
        expect(await store.deleteFinishedProcesses(at(10), 10)).toBe(1);

        const again = start({ key: old.instance.correlationKey, at: at(20) });
        await store.commit(again);
        expect(await store.find('order', old.instance.correlationKey)).toEqual(again.instance);
      });

      it('deletes at most the limit per call', async () => {
        const { store } = await open();
        for (let i = 0; i < 3; i++) await instance(store, 'completed', i);

        expect(await store.deleteFinishedProcesses(at(10), 2)).toBe(2);
        expect(await store.deleteFinishedProcesses(at(10), 2)).toBe(1);
      });

      it('counts ended and acknowledged instances together against the limit', async () => {
        const { store } = await open();
        for (let i = 0; i < 2; i++) await instance(store, 'completed', i);
        for (let i = 0; i < 2; i++) {
          const failed = await instance(store, 'failed', i);
          await store.acknowledgeFailure(failed.instance.id, at(5));
        }

        expect(await store.deleteFinishedProcesses(at(10), 3)).toBe(3);
        expect(await store.deleteFinishedProcesses(at(10), 3)).toBe(1);
        expect(await store.deleteFinishedProcesses(at(10), 3)).toBe(0);
      });
    });

    it('shares a backlog between two deleters: every row deleted once', async () => {
      const { store, peer } = await open();
      const messageIds = Array.from({ length: 60 }, () => uuid());
      for (const messageId of messageIds) await store.commitReaction('Audit.onPlaced', messageId, [], at(0));

      const counts = await Promise.all([store.deleteInboxMarks(at(1), 40), peer.deleteInboxMarks(at(1), 40)]);
      expect(counts[0]! + counts[1]!).toBe(messageIds.length);
      for (const messageId of messageIds)
        expect(await store.hasHandled('Audit.onPlaced', messageId)).toBe(false);
    });

    (open.rowLocks ? it : it.skip)(
      'skips a row another transaction holds, without waiting (SKIP LOCKED), and takes it later',
      async () => {
        const { store, holdRowLock } = await open();
        const [held, free] = [outboxRecord(), outboxRecord()];
        await store.enqueue([held, free], at(0));
        await store.markDispatched([held.metadata.messageId, free.metadata.messageId], at(1));
        const release = await holdRowLock!('pm_outbox', held.metadata.messageId);
        try {
          expect(await store.deleteDispatchedOutbox(at(10), 10)).toBe(1);
        } finally {
          await release();
        }
        expect(await store.deleteDispatchedOutbox(at(10), 10)).toBe(1);
      },
    );
  });
}
