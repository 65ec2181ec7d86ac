import { describe, expect, it } from '@jest/globals';
import type { ClaimScope } from '../../src/ports/records.js';
import { at, failure, next, outboxRecord, start } from './decisions.js';
import type { OpenStore } from './store-under-test.js';

/** A scope routing `order` timers of type Remind, rebuilding SendInvoice and ShipOrder. */
const SCOPE: ClaimScope = {
  processTypes: ['order'],
  routes: [{ handler: 'order', messageType: 'Remind' }],
  messageTypes: ['SendInvoice', 'ShipOrder'],
};

/** The health indicator's figures. */
export function describeHealthQueries(name: string, open: OpenStore): void {
  describe(`HealthQueries contract: ${name}`, () => {
    it('finds nothing pending, due or dead in an empty store', async () => {
      const { store } = await open();

      expect(await store.healthFigures(at(0))).toEqual({
        oldestPendingOutboxAt: undefined,
        oldestDueTimerAt: undefined,
        openDeadLetters: 0,
      });
    });

    it('gives the creation time of the oldest outbox row neither dispatched nor given up on', async () => {
      const { store } = await open();
      const [dispatched, givenUp, oldest, newer] = [1, 2, 3, 4].map(() => outboxRecord());
      await store.enqueue([dispatched!, givenUp!], at(0));
      await store.enqueue([oldest!], at(5));
      await store.enqueue([newer!], at(8));
      await store.markDispatched([dispatched!.metadata.messageId], at(1));
      await store.markDispatchFailed(givenUp!.metadata.messageId, 'broken', null, at(1));
      // A row waiting for a retry after a failed send is still pending, however far off its retry.
      await store.markDispatchFailed(oldest!.metadata.messageId, 'broken', at(500), at(6));

      expect((await store.healthFigures(at(10))).oldestPendingOutboxAt).toEqual(at(5));
      await store.markDispatched([oldest!.metadata.messageId], at(11));
      expect((await store.healthFigures(at(12))).oldestPendingOutboxAt).toEqual(at(8));
    });

    it('gives the due time of the earliest timer due by now', async () => {
      const { store } = await open();
      const first = start({
        schedule: [
          { name: 'a', dueAt: at(50) },
          { name: 'b', dueAt: at(100) },
        ],
      });
      await store.commit(first);

      expect((await store.healthFigures(at(40))).oldestDueTimerAt).toBeUndefined();
      expect((await store.healthFigures(at(60))).oldestDueTimerAt).toEqual(at(50));
      await store.commit(next(first.instance, { cancel: ['a'] }));
      expect((await store.healthFigures(at(60))).oldestDueTimerAt).toBeUndefined();
      expect((await store.healthFigures(at(150))).oldestDueTimerAt).toEqual(at(100));
    });

    it('counts open dead letters, not failures still retrying nor resolved ones', async () => {
      const { store } = await open();
      const [dead, resolved] = [failure({ status: 'dead' }), failure({ status: 'dead' })];
      for (const record of [dead, resolved, failure()]) await store.recordFailure(record);
      await store.resolveFailure(resolved.handler, resolved.messageId, at(5));

      expect((await store.healthFigures(at(10))).openDeadLetters).toBe(1);
    });

    it("leaves out outbox rows and timers outside the scope (another service's)", async () => {
      const { store } = await open();
      await store.enqueue([outboxRecord({ type: 'OtherService' })], at(0));
      await store.enqueue([outboxRecord({ type: 'SendInvoice' })], at(3));
      const theirs = start({ type: 'billing', schedule: [{ dueAt: at(1), messageType: 'Remind' }] });
      const ours = start({ schedule: [{ dueAt: at(2), messageType: 'Remind' }] });
      await store.commit(theirs);
      await store.commit(ours);

      expect(await store.healthFigures(at(10), SCOPE)).toMatchObject({
        oldestPendingOutboxAt: at(3),
        oldestDueTimerAt: at(2),
      });
      expect(await store.healthFigures(at(10))).toMatchObject({
        oldestPendingOutboxAt: at(0),
        oldestDueTimerAt: at(1),
      });
    });
  });
}
