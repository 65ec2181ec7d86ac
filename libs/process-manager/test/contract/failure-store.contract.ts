import { describe, expect, it } from '@jest/globals';
import { at, failure, next, plus, start, uuid } from './decisions.js';
import type { OpenStore } from './store-under-test.js';

const FAR = at(100 * 24 * 3600);

/** Failed deliveries: their retries with backoff, and the dead letters they end as. */
export function describeFailureStore(name: string, open: OpenStore): void {
  describe(`FailureStore contract: ${name}`, () => {
    it('counts no attempts for a delivery that never failed', async () => {
      const { store } = await open();

      expect(await store.failureAttempts('order', uuid())).toBe(0);
    });

    it('updates a repeat failure of a delivery in place, keeping what identifies it', async () => {
      const { store } = await open();
      const processId = uuid();
      const first = failure({ processId, correlationKey: 'o-1', attempts: 1, failedAt: at(0) });
      await store.recordFailure(first);
      const repeat = failure({
        messageId: first.messageId,
        processId: undefined,
        correlationKey: 'o-1',
        payload: { orderId: 'changed' },
        status: 'dead',
        attempts: 2,
        error: 'still broken',
        stack: undefined,
        failedAt: at(10),
      });
      await store.recordFailure(repeat);

      expect(await store.failureAttempts('order', first.messageId)).toBe(2);
      expect(await store.failureAttempts('invoice', first.messageId)).toBe(0);
      expect(await store.deadLetters({})).toEqual([
        {
          ...first,
          status: 'dead',
          attempts: 2,
          error: 'still broken',
          stack: undefined,
          lastFailedAt: at(10),
          nextAttemptAt: undefined,
        },
      ]);
    });

    it('resolves a failure: no attempts left on record, nothing to retry or list', async () => {
      const { store } = await open();
      const retrying = failure();
      const dead = failure({ status: 'dead' });
      await store.recordFailure(retrying);
      await store.recordFailure(dead);
      await store.resolveFailure('order', retrying.messageId, at(60));
      await store.resolveFailure('order', dead.messageId, at(60));

      expect(await store.failureAttempts('order', retrying.messageId)).toBe(0);
      expect(await store.claimDueRetries(FAR, FAR, 10)).toEqual([]);
      expect(await store.deadLetters({})).toEqual([]);
    });

    it('claims retrying failures that are due, in due order, up to the limit', async () => {
      const { store } = await open();
      const [late, early, later] = [20, 10, 30].map((second) =>
        failure({ nextAttemptAt: at(second), failedAt: at(0) }),
      );
      for (const record of [late!, early!, later!, failure({ status: 'dead' })]) {
        await store.recordFailure(record);
      }

      expect(await store.claimDueRetries(plus(at(10), -1), FAR, 10)).toEqual([]);
      const claimed = await store.claimDueRetries(at(20), FAR, 1);
      expect(claimed.map((record) => record.id)).toEqual([early!.id]);
      const { nextAttemptAt: _leased, ...fields } = early!;
      expect(claimed[0]).toMatchObject(fields);
      expect((await store.claimDueRetries(at(20), FAR, 10)).map((record) => record.id)).toEqual([late!.id]);
    });

    it('does not claim a claimed retry again until its lease lapses', async () => {
      const { store } = await open();
      const record = failure({ nextAttemptAt: at(10) });
      await store.recordFailure(record);
      const leaseUntil = at(70);

      expect(await store.claimDueRetries(at(10), leaseUntil, 10)).toHaveLength(1);
      expect(await store.claimDueRetries(at(11), leaseUntil, 10)).toEqual([]);
      expect(await store.claimDueRetries(plus(leaseUntil, -1), FAR, 10)).toEqual([]);
      expect((await store.claimDueRetries(leaseUntil, FAR, 10)).map((r) => r.id)).toEqual([record.id]);
    });

    it('never gives one retry to two concurrent pollers', async () => {
      const { store, peer } = await open();
      const records = Array.from({ length: 30 }, (_, second) => failure({ nextAttemptAt: at(second) }));
      for (const record of records) await store.recordFailure(record);

      const [mine, theirs] = await Promise.all([
        store.claimDueRetries(at(60), FAR, 20),
        peer.claimDueRetries(at(60), FAR, 20),
      ]);
      const claimed = [...mine, ...theirs].map((record) => record.id);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.sort()).toEqual(records.map((record) => record.id).sort());
    });

    (open.rowLocks ? it : it.skip)(
      'skips a retry another poller holds, without waiting (SKIP LOCKED)',
      async () => {
        const { store, holdRowLock } = await open();
        const [held, free] = [failure({ nextAttemptAt: at(1) }), failure({ nextAttemptAt: at(2) })];
        await store.recordFailure(held!);
        await store.recordFailure(free!);
        const release = await holdRowLock!('pm_dead_letter', held!.id);
        try {
          expect((await store.claimDueRetries(at(60), FAR, 10)).map((r) => r.id)).toEqual([free!.id]);
        } finally {
          await release();
        }
      },
    );

    it('claims only retries whose (handler, message type) this app routes', async () => {
      const { store } = await open();
      const mine = failure({ handler: 'order', messageType: 'OrderPlaced' });
      const records = [
        mine,
        failure({ handler: 'order', messageType: 'OrderShipped' }),
        failure({ handler: 'invoice', messageType: 'OrderPlaced' }),
      ];
      for (const record of records) await store.recordFailure(record);
      const scope = {
        processTypes: [],
        routes: [{ handler: 'order', messageType: 'OrderPlaced' }],
        messageTypes: [],
      };

      expect((await store.claimDueRetries(FAR, FAR, 10, scope)).map((r) => r.id)).toEqual([mine.id]);
      expect(await store.claimDueRetries(plus(FAR, 1), FAR, 10)).toHaveLength(3);
    });

    it('extends the leases of retries this claimer still holds, unless a new attempt was recorded', async () => {
      const { store } = await open();
      const [held, lost, retried] = [1, 2, 3].map((second) => failure({ nextAttemptAt: at(second) }));
      for (const record of [held!, lost!, retried!]) await store.recordFailure(record);
      await store.claimDueRetries(at(10), at(70), 10);
      await store.recordFailure({ ...retried!, attempts: 2, nextAttemptAt: at(100) });
      await store.extendRetryLeases(
        [
          { id: held!.id, until: at(70) },
          { id: lost!.id, until: at(69) },
          { id: retried!.id, until: at(70) },
        ],
        at(130),
      );

      expect((await store.claimDueRetries(at(70), at(70), 10)).map((r) => r.id)).toEqual([lost!.id]);
      expect((await store.claimDueRetries(at(100), at(100), 10)).map((r) => r.id).sort()).toEqual(
        [lost!.id, retried!.id].sort(),
      );
      expect((await store.claimDueRetries(at(130), FAR, 10)).map((r) => r.id).sort()).toEqual(
        [held!.id, lost!.id, retried!.id].sort(),
      );
    });

    describe('dead letters', () => {
      it('counts open dead letters per handler', async () => {
        const { store } = await open();
        const records = [
          failure({ status: 'dead' }),
          failure({ status: 'dead' }),
          failure({ status: 'dead', handler: 'Receipts.onPaid' }),
          failure({ handler: 'invoice' }),
        ];
        for (const record of records) await store.recordFailure(record);

        const counts = await store.countDeadLetters();
        expect(counts.sort((a, b) => a.handler.localeCompare(b.handler))).toEqual([
          { handler: 'order', count: 2 },
          { handler: 'Receipts.onPaid', count: 1 },
        ]);
      });

      it('lists only dead letters, oldest first, up to the limit', async () => {
        const { store } = await open();
        const [newer, older, oldest] = [30, 20, 10].map((second) =>
          failure({ status: 'dead', failedAt: at(second), processId: uuid() }),
        );
        for (const record of [newer!, failure(), older!, oldest!]) await store.recordFailure(record);

        expect(await store.deadLetters({})).toEqual([oldest, older, newer]);
        expect(await store.deadLetters({ limit: 2 })).toEqual([oldest, older]);
      });

      it('lists dead letters that failed at the same time in order of their ids', async () => {
        const { store } = await open();
        const [low, high] = ['00000000-0000-4000-8000-000000000001', 'ffffffff-0000-4000-8000-000000000001'];
        const [second, first] = [high, low].map((id) => failure({ id, status: 'dead', failedAt: at(5) }));
        await store.recordFailure(second!);
        await store.recordFailure(first!);

        expect(await store.deadLetters({})).toEqual([first, second]);
      });

      it('lists the dead letters of one instance, or one by its id', async () => {
        const { store } = await open();
        const processId = uuid();
        const [mine, alsoMine, other] = [
          failure({ status: 'dead', processId, failedAt: at(1) }),
          failure({ status: 'dead', processId, failedAt: at(2), handler: 'order' }),
          failure({ status: 'dead', processId: uuid(), failedAt: at(0) }),
        ];
        const stateless = failure({ status: 'dead', handler: 'Receipts.onPaid', failedAt: at(3) });
        for (const record of [mine!, alsoMine!, other!, stateless]) await store.recordFailure(record);

        expect(await store.deadLetters({ processId })).toEqual([mine, alsoMine]);
        expect(await store.deadLetters({ id: other!.id })).toEqual([other]);
        expect(await store.deadLetters({ id: stateless.id })).toEqual([stateless]);
        expect(await store.deadLetters({ processId, id: other!.id })).toEqual([]);
        expect(await store.deadLetters({ processId: uuid() })).toEqual([]);
        expect(await store.deadLetters({ id: 'not-a-uuid' })).toEqual([]);
        expect(await store.deadLetters({ processId: 'not-a-uuid' })).toEqual([]);
      });
    });

    describe('last error', () => {
      it('marks an instance with a dead letter error, outside any step', async () => {
        const { store } = await open();
        const first = start();
        await store.commit(first);
        await store.setLastError(first.instance.id, 'card declined');

        expect(await store.get(first.instance.id)).toEqual({ ...first.instance, lastError: 'card declined' });
        expect(await store.history(first.instance.id)).toHaveLength(1);
        await store.commit(next({ ...first.instance, lastError: 'card declined' }));
      });

      it('clears the mark only while it is still the same error', async () => {
        const { store } = await open();
        const first = start();
        await store.commit(first);
        await store.setLastError(first.instance.id, 'card declined');
        await store.clearLastError(first.instance.id, 'timeout');

        expect((await store.get(first.instance.id))?.lastError).toBe('card declined');
        await store.clearLastError(first.instance.id, 'card declined');
        expect((await store.get(first.instance.id))?.lastError).toBeUndefined();
      });
    });
  });
}
