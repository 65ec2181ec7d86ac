import { describe, expect, it } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { ProcessManagerService } from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { TimerPoller } from '../../src/scheduling/index.js';
import { useTestDatabase } from '../support/database.js';
import { useAppPool } from '../support/fixtures/app-pool.js';
import { failureOf, msBetween, timersOf } from '../support/fixtures/queries.js';
import {
  CaseClosed,
  publishToCase,
  REMINDER_PROVIDERS,
  ReminderCancelled,
  ReminderRequested,
  remindersSent,
  StrayTimerRequested,
} from '../support/fixtures/reminders.js';
import { uniqueKey, withMessageId } from '../support/messages.js';
import { countRows } from '../support/sql.js';
import { waitFor } from '../support/wait-for.js';

describe('timers: schedule, cancel, replace (PostgreSQL)', () => {
  const db = useTestDatabase();
  const apps = useAppPool(db);

  async function openCase(event?: (caseId: string) => ReminderRequested) {
    const clock = new VirtualClock();
    const app = await apps.start({ providers: REMINDER_PROVIDERS, clock });
    const caseId = uniqueKey('case');
    const started = await publishToCase(app, event?.(caseId) ?? new ReminderRequested(caseId), 1);
    return {
      app,
      clock,
      caseId,
      started,
      poller: app.get(TimerPoller),
      processes: app.get(ProcessManagerService),
    };
  }

  it('never fires a cancelled timer', async () => {
    const { app, clock, caseId, started, poller, processes } = await openCase();
    expect(await timersOf(app, started.id)).toHaveLength(1);
    await publishToCase(app, new ReminderCancelled(caseId), 2);
    expect(await timersOf(app, started.id)).toEqual([]);

    clock.advance('1d');
    expect(await poller.tickOnce()).toBe(0);
    expect(remindersSent(app)).toEqual([]);
    expect(await processes.get(started.id)).toMatchObject({ version: 2, state: { fired: 0 } });
  });

  it('replaces a named timer when the name is scheduled again', async () => {
    const { app, clock, caseId, started, poller } = await openCase(
      (id) => new ReminderRequested(id, { after: '10m' }),
    );
    const [first] = await timersOf(app, started.id);
    const dueAt = new Date(clock.now().getTime() + 30 * 60_000);
    await publishToCase(app, new ReminderRequested(caseId, { at: dueAt }), 2);

    const timers = await timersOf(app, started.id);
    expect(timers).toHaveLength(1);
    expect(timers[0]).toMatchObject({ name: 'reminder', message_type: 'ReminderDue' });
    expect(new Date(timers[0]!.due_at)).toEqual(dueAt);
    expect(msBetween(first!.due_at, timers[0]!.due_at)).toBe(20 * 60_000);

    clock.advance('29m');
    expect(await poller.tickOnce()).toBe(0);
    expect(remindersSent(app)).toEqual([]);
    clock.advance('1m');
    expect(await poller.tickOnce()).toBe(1);
    expect(remindersSent(app)).toHaveLength(1);
    expect(await timersOf(app, started.id)).toEqual([]);
  });

  it('fires a timer that its own handler scheduled again (same name) when it is due again', async () => {
    const { app, clock, started, poller, processes } = await openCase(
      (id) => new ReminderRequested(id, { after: '30s' }, 'reminder', '30s'),
    );
    for (let beat = 1; beat <= 4; beat++) {
      clock.advance('30s');
      expect(await poller.tickOnce()).toBe(1);
      expect(await processes.get(started.id)).toMatchObject({ state: { fired: beat } });
      const timers = await timersOf(app, started.id);
      expect(timers).toHaveLength(1);
      expect(new Date(timers[0]!.due_at)).toEqual(new Date(clock.now().getTime() + 30_000));
    }
    expect(remindersSent(app)).toHaveLength(4);
  });

  it('cancels pending timers when the instance completes', async () => {
    const { app, clock, caseId, started, poller, processes } = await openCase();
    await publishToCase(app, new ReminderRequested(caseId, { after: '2h' }, 'follow-up'), 2);
    expect(await timersOf(app, started.id)).toHaveLength(2);
    app.get(EventBus).publish(new CaseClosed(caseId));
    await waitFor(
      async () => (await processes.get(started.id))?.status === 'completed',
      'the case completed',
    );

    expect(await timersOf(app, started.id)).toEqual([]);
    clock.advance('1d');
    expect(await poller.tickOnce()).toBe(0);
    expect(remindersSent(app)).toEqual([]);
  });

  it('dead-letters the handler at once with InvalidDurationError on a bad duration and writes nothing', async () => {
    const { app, caseId, started, processes } = await openCase();
    const timersBefore = await timersOf(app, started.id);
    const onExisting = uniqueKey('bad-duration');
    app
      .get(EventBus)
      .publish(withMessageId(new ReminderRequested(caseId, { after: '10 minutes' }), onExisting));
    const newKey = uniqueKey('case');
    const onNew = uniqueKey('bad-duration');
    app.get(EventBus).publish(withMessageId(new ReminderRequested(newKey, { after: '2 weeks' }), onNew));

    for (const messageId of [onExisting, onNew]) {
      const failure = await waitFor(() => failureOf(app, messageId), `the failure of ${messageId}`);
      expect(failure).toMatchObject({ handler: 'reminder-case', status: 'dead', attempts: 1 }); // no retry can fix it
      expect(failure.error).toMatch(/^InvalidDurationError: Invalid duration "(10 minutes|2 weeks)"/);
    }
    expect(await processes.get(started.id)).toMatchObject({ version: 1 });
    expect(await timersOf(app, started.id)).toEqual(timersBefore);
    expect(await countRows(app, 'pm_history', 'process_id = $1', [started.id])).toBe(1);
    expect(await countRows(app, 'pm_process', 'correlation_key = $1', [newKey])).toBe(0);
    expect(await countRows(app, 'pm_inbox', 'message_id IN ($1, $2)', [onExisting, onNew])).toBe(0);
  });

  it('raises UnroutableTimerError when a process schedules a message it does not handle', async () => {
    const { app, caseId, started, processes } = await openCase();
    const messageId = uniqueKey('stray');
    app.get(EventBus).publish(withMessageId(new StrayTimerRequested(caseId), messageId));

    const failure = await waitFor(() => failureOf(app, messageId), 'the failed delivery');
    expect(failure.error).toBe(
      'UnroutableTimerError: "reminder-case" schedules StrayPing but has no @OnEvent(StrayPing) handler to receive it.',
    );
    expect(await processes.get(started.id)).toMatchObject({ version: 1 });
    expect((await timersOf(app, started.id)).map((timer) => timer.message_type)).toEqual(['ReminderDue']);
  });
});
