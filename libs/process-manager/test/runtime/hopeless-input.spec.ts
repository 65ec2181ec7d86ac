import { describe, expect, it } from '@jest/globals';
import { OnEvent, type ProcessContext, ProcessManager, ProcessManagerService } from 'nestjs-process-manager';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { uniqueKey } from '../support/messages.js';
import { countRows } from '../support/sql.js';

/** What a handler does with the event, picked by `mistake`. */
class ReminderAsked {
  constructor(
    readonly reminderId: string,
    readonly mistake: 'duration' | 'date' | 'string-date' | 'far-future' | 'state-name',
  ) {}
}
class Remind {
  constructor(readonly reminderId: string) {}
}

@ProcessManager({ name: 'reminder', correlationKey: 'reminderId' })
class ReminderProcess {
  @OnEvent(ReminderAsked, { start: true })
  asked(event: ReminderAsked, ctx: ProcessContext) {
    const remind = new Remind(event.reminderId);
    if (event.mistake === 'duration') ctx.schedule(remind, { after: 'in ten minutes' });
    if (event.mistake === 'date') ctx.schedule(remind, { at: new Date('not a date') });
    if (event.mistake === 'string-date') ctx.schedule(remind, { at: 'tomorrow' as never });
    if (event.mistake === 'far-future') ctx.schedule(remind, { after: 1e20 });
    if (event.mistake === 'state-name') ctx.transitionTo('waiting\u0000');
  }

  @OnEvent(Remind)
  remind() {}
}

describe('input no retry can fix (PostgreSQL)', () => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  it.each([
    ['a bad duration string', 'duration', 'InvalidDurationError: Invalid duration "in ten minutes"'],
    [
      'an invalid Date',
      'date',
      'InvalidContextCallError: "reminder" called ctx.schedule() with { at: an invalid Date }',
    ],
    [
      'a string for a date',
      'string-date',
      'InvalidContextCallError: "reminder" called ctx.schedule() with { at: "tomorrow" }',
    ],
    [
      'a delay past the calendar',
      'far-future',
      'InvalidDurationError: Invalid duration 100000000000000000000',
    ],
    [
      'a state name PostgreSQL refuses',
      'state-name',
      'InvalidContextCallError: "reminder" called ctx.transitionTo()',
    ],
  ] as const)(
    'dead-letters %s at the first attempt, with its named error, writing nothing',
    async (_what, mistake, error) => {
      const app = await createApp({
        url: db.url,
        providers: [ReminderProcess],
        options: { retry: { maxAttempts: 5 } },
      });
      const processes = app.get(ProcessManagerService);
      const reminderId = uniqueKey('reminder');
      await processes.deliver(new ReminderAsked(reminderId, mistake));

      const letter = (await processes.deadLetters()).find((dead) => dead.correlationKey === reminderId);
      expect(letter).toMatchObject({ status: 'dead', attempts: 1, correlationKey: reminderId });
      expect(letter!.error.startsWith(error)).toBe(true);
      expect(await processes.find('reminder', reminderId)).toBeNull();
      expect(await countRows(app, 'pm_timer', `payload->>'reminderId' = $1`, [reminderId])).toBe(0);
    },
  );
});
