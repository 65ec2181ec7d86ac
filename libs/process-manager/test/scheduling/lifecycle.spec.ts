import { describe, expect, it } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ProcessManagerService, type ProcessManagerModuleOptions } from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { OutboxRelay } from '../../src/scheduling/index.js';
import { useTestDatabase } from '../support/database.js';
import { useAppPool } from '../support/fixtures/app-pool.js';
import { BumpLog, TALLY_PROVIDERS, TallyBumped } from '../support/fixtures/tallies.js';
import { uniqueKey } from '../support/messages.js';
import { countRows, query } from '../support/sql.js';

const JOBS = ['pm:timer-poll', 'pm:outbox-relay', 'pm:recovery', 'pm:retention'];

describe('periodic jobs and shutdown (PostgreSQL)', () => {
  const db = useTestDatabase();
  const apps = useAppPool(db);

  it('registers every periodic job in SchedulerRegistry by name', async () => {
    const app = await apps.start({ providers: TALLY_PROVIDERS, schedule: true });
    expect(app.get(SchedulerRegistry).getIntervals().sort()).toEqual([...JOBS].sort());
  });

  it.each<[string, ProcessManagerModuleOptions]>([
    ['pm:timer-poll', { timers: { enabled: false } }],
    ['pm:outbox-relay', { outbox: { enabled: false } }],
    ['pm:recovery', { recovery: { enabled: false } }],
  ])('does not register %s when it is switched off in the options', async (job, options) => {
    const app = await apps.start({ providers: TALLY_PROVIDERS, schedule: true, options });
    expect(app.get(SchedulerRegistry).getIntervals().sort()).toEqual(
      JOBS.filter((name) => name !== job).sort(),
    );
  });

  it('registers nothing when every job is switched off', async () => {
    const options = {
      timers: { enabled: false },
      outbox: { enabled: false },
      recovery: { enabled: false },
      retention: { enabled: false },
    };
    const app = await apps.start({ providers: TALLY_PROVIDERS, schedule: true, options });
    expect(app.get(SchedulerRegistry).getIntervals()).toEqual([]);
  });

  it('loses nothing when the app is closed with deliveries in flight', async () => {
    const clock = new VirtualClock();
    const first = await apps.start({ providers: TALLY_PROVIDERS, clock });
    const tallies = Array.from({ length: 5 }, () => uniqueKey('tally'));
    const bumps = Array.from({ length: 50 }, (_, n) => new TallyBumped(tallies[n % tallies.length]!, n));
    bumps.forEach((bump) => first.get(EventBus).publish(bump));
    const firstLog = first.get(BumpLog);
    expect(firstLog.recorded.length).toBeLessThan(bumps.length);
    await apps.stop(first);

    const second = await apps.start({ providers: TALLY_PROVIDERS, clock });
    const processes = second.get(ProcessManagerService);
    for (const tallyId of tallies) {
      const tally = await processes.find('tally', tallyId);
      expect(tally).toMatchObject({ state: { count: 10 }, version: 10, status: 'running' });
      const history = await processes.history(tally!.id);
      expect(history.map((entry) => entry.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    }
    expect(await countRows(second, 'pm_history')).toBe(bumps.length);
    expect(await countRows(second, 'pm_inbox')).toBe(bumps.length);

    clock.advance('1m');
    expect(await second.get(OutboxRelay).tickOnce()).toBe(0);
    expect(await countRows(second, 'pm_outbox', 'dispatched_at IS NULL')).toBe(0);
    const recorded = [...firstLog.recorded, ...second.get(BumpLog).recorded];
    expect(recorded.map((command) => command.n).sort((a, b) => a - b)).toEqual(bumps.map((bump) => bump.n));
    const [{ count } = { count: '0' }] = await query<{ count: string }>(
      second,
      `SELECT count(*) AS count FROM pm_outbox WHERE type = 'RecordBump'`,
    );
    expect(Number(count)).toBe(bumps.length);
  });
});
