import { describe, expect, it, jest } from '@jest/globals';
import { ProcessManagerService } from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { ProcessRunner } from '../../src/runtime/process-runner.js';
import { TimerPoller } from '../../src/scheduling/index.js';
import { useTestDatabase } from '../support/database.js';
import { useAppPool } from '../support/fixtures/app-pool.js';
import { timersOf } from '../support/fixtures/queries.js';
import {
  publishToCase,
  REMINDER_PROVIDERS,
  ReminderRequested,
  remindersSent,
} from '../support/fixtures/reminders.js';
import { uniqueKey } from '../support/messages.js';
import { countRows } from '../support/sql.js';

describe('timers across app instances and restarts (PostgreSQL)', () => {
  const db = useTestDatabase();
  const apps = useAppPool(db);

  it('fires each timer exactly once when two app instances poll the same database', async () => {
    const clock = new VirtualClock();
    const both = [
      await apps.start({ providers: REMINDER_PROVIDERS, clock }),
      await apps.start({ providers: REMINDER_PROVIDERS, clock }),
    ];
    const keys = Array.from({ length: 20 }, () => uniqueKey('case'));
    await Promise.all(keys.map((key, i) => publishToCase(both[i % 2]!, new ReminderRequested(key), 1)));
    expect(await countRows(both[0]!, 'pm_timer')).toBe(keys.length);

    clock.advance('15m');
    let claimed = 0;
    for (let round = 0; round < 4; round++) {
      const counts = await Promise.all(both.map((app) => app.get(TimerPoller).tickOnce()));
      claimed += counts[0]! + counts[1]!;
    }

    // Raw command-handler calls in both apps, not deduplicated.
    const calls = both.flatMap(remindersSent);
    expect(calls.map((command) => command.caseId).sort()).toEqual([...keys].sort());
    expect(claimed).toBe(keys.length);
    expect(await countRows(both[0]!, 'pm_timer')).toBe(0);
    expect(await countRows(both[0]!, 'pm_history', `message_type = 'ReminderDue'`)).toBe(keys.length);
    const processes = both[0]!.get(ProcessManagerService);
    const instances = await Promise.all(keys.map((key) => processes.find('reminder-case', key)));
    expect(instances.map((instance) => instance?.state)).toEqual(keys.map(() => ({ fired: 1 })));
  });

  it('fires a timer whose poller crashed after claiming it once the claim lapses, and only once', async () => {
    const clock = new VirtualClock();
    const crashing = await apps.start({ providers: REMINDER_PROVIDERS, clock });
    const caseId = uniqueKey('case');
    const started = await publishToCase(crashing, new ReminderRequested(caseId), 1);
    clock.advance('15m');
    const lost = jest.spyOn(ProcessRunner.prototype, 'deliverTimer').mockResolvedValueOnce(undefined);
    expect(await crashing.get(TimerPoller).tickOnce()).toBe(1);
    expect(lost).toHaveBeenCalledTimes(1);
    await apps.stop(crashing);

    const survivor = await apps.start({ providers: REMINDER_PROVIDERS, clock });
    const poller = survivor.get(TimerPoller);
    expect(await poller.tickOnce()).toBe(0);
    clock.advance('1m');
    expect(await poller.tickOnce()).toBe(1);
    expect(await poller.tickOnce()).toBe(0);

    expect(remindersSent(survivor).map((command) => command.caseId)).toEqual([caseId]);
    expect(await survivor.get(ProcessManagerService).get(started.id)).toMatchObject({ state: { fired: 1 } });
    expect(await timersOf(survivor, started.id)).toEqual([]);
  });

  it('fires a timer that fell due while no app was running at the first tick of a new app', async () => {
    const clock = new VirtualClock();
    const before = await apps.start({ providers: REMINDER_PROVIDERS, clock });
    const caseId = uniqueKey('case');
    const started = await publishToCase(before, new ReminderRequested(caseId), 1);
    await apps.stop(before);

    clock.advance('3h');
    const after = await apps.start({ providers: REMINDER_PROVIDERS, clock });
    expect(await after.get(TimerPoller).tickOnce()).toBe(1);

    expect(remindersSent(after).map((command) => command.caseId)).toEqual([caseId]);
    expect(await after.get(ProcessManagerService).get(started.id)).toMatchObject({
      version: 2,
      state: { fired: 1 },
    });
    expect(await timersOf(after, started.id)).toEqual([]);
  });
});
