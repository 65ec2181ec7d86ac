import { describe, expect, it } from '@jest/globals';
import type { Decision } from '../../src/engine/decision.js';
import { at, next, outboxRecord, start } from './decisions.js';
import type { OpenStore } from './store-under-test.js';

const FAR = at(100 * 24 * 3600);
const TRACE_A = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const TRACE_B = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** `decision` with `traceparent` on each timer it schedules (as the engine writes the step's). */
function traced(decision: Decision, traceparent: string): Decision {
  const scheduled = decision.timers.scheduled.map((timer) => ({ ...timer, traceparent }));
  return { ...decision, timers: { ...decision.timers, scheduled } };
}

/** The metric gauges' figures, and the trace context a timer keeps for its firing. */
export function describeTelemetryQueries(name: string, open: OpenStore): void {
  describe(`TelemetryQueries contract: ${name}`, () => {
    it('finds nothing in an empty store', async () => {
      const { store } = await open();

      expect(await store.telemetryFigures(at(0))).toEqual({
        oldestPendingOutboxAt: undefined,
        oldestDueTimerAt: undefined,
        openDeadLetters: 0,
        pendingOutbox: 0,
        instances: [],
      });
    });

    it('counts outbox rows neither dispatched nor given up on, and instances holding their key', async () => {
      const { store } = await open();
      const [dispatched, givenUp, waiting, retrying] = [1, 2, 3, 4].map(() => outboxRecord());
      await store.enqueue([dispatched!, givenUp!, waiting!, retrying!], at(0));
      await store.markDispatched([dispatched!.metadata.messageId], at(1));
      await store.markDispatchFailed(givenUp!.metadata.messageId, 'broken', null, at(1));
      await store.markDispatchFailed(retrying!.metadata.messageId, 'broken', at(500), at(1));
      const running = start({ type: 'order' });
      const failed = start({ type: 'order' });
      const done = start({ type: 'invoice' });
      for (const decision of [running, failed, done]) await store.commit(decision);
      await store.commit(next(failed.instance, { status: 'failed', lastError: 'broken' }));
      await store.commit(next(done.instance, { status: 'completed' }));

      const figures = await store.telemetryFigures(at(10));
      expect(figures.pendingOutbox).toBe(2);
      expect(figures.oldestPendingOutboxAt).toEqual(at(0));
      const byStatus = Object.fromEntries(
        figures.instances.map(({ type, status, count }) => [`${type}/${status}`, count]),
      );
      expect(byStatus).toEqual({ 'order/running': 1, 'order/failed': 1 });
    });

    it('gives a claimed timer the traceparent of the step that scheduled it, and of the step that replaced it', async () => {
      const { store } = await open();
      const first = traced(start({ schedule: [{ name: 'remind', dueAt: at(60) }] }), TRACE_A);
      await store.commit(first);
      const [claimed] = await store.claimDueTimers(at(60), at(61), 10);
      expect(claimed).toMatchObject({ id: first.timers.scheduled[0]!.id, traceparent: TRACE_A });

      const replaced = traced(
        next(first.instance, { schedule: [{ name: 'remind', dueAt: at(90) }] }),
        TRACE_B,
      );
      await store.commit(replaced);
      const [again] = await store.claimDueTimers(FAR, FAR, 10);
      expect(again).toMatchObject({ id: replaced.timers.scheduled[0]!.id, traceparent: TRACE_B });
    });

    it('gives a timer scheduled without a trace context none', async () => {
      const { store } = await open();
      await store.commit(start({ schedule: [{ name: 'remind', dueAt: at(60) }] }));

      const [claimed] = await store.claimDueTimers(FAR, FAR, 10);
      expect(claimed).toBeDefined();
      expect(claimed!.traceparent).toBeUndefined();
    });
  });
}
