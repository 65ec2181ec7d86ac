import { describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ProcessManagerService } from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { ProcessRunner } from '../../src/runtime/process-runner.js';
import { RetentionJob } from '../../src/scheduling/index.js';
import { useTestDatabase } from '../support/database.js';
import { useAppPool } from '../support/fixtures/app-pool.js';
import { uniqueKey, withMessageId } from '../support/messages.js';
import { countRows, query } from '../support/sql.js';
import { waitFor } from '../support/wait-for.js';
import {
  Mailbox,
  MemberBanned,
  MemberJoined,
  MemberLeft,
  MemberNoted,
  MEMBERSHIP_PROVIDERS,
  type MembershipState,
} from './membership.js';
import { holdRowLocks, seedOldRows, withoutLockWaits } from './retention-support.js';

/** Delivers `event` (with `messageId`, if given) and waits for what it dispatched. */
async function deliver(app: INestApplicationContext, event: object, messageId?: string): Promise<void> {
  await app.get(ProcessManagerService).deliver(messageId ? withMessageId(event, messageId) : event);
  await app.get(ProcessRunner).whenIdle();
}

async function instanceOf(app: INestApplicationContext, memberId: string) {
  const [row] = await query<{ id: string }>(app, `SELECT id FROM pm_process WHERE correlation_key = $1`, [
    memberId,
  ]);
  return row?.id;
}

/** Rows of the instance in each table that hangs off it. */
async function rowsOf(app: INestApplicationContext, processId: string) {
  const of = (table: string) => countRows(app, table, 'process_id = $1', [processId]);
  return {
    process: await countRows(app, 'pm_process', 'id = $1', [processId]),
    history: await of('pm_history'),
    associations: await of('pm_association'),
    inbox: await of('pm_inbox'),
    outbox: await of('pm_outbox'),
  };
}

describe('retention: pm:retention (PostgreSQL)', () => {
  const db = useTestDatabase();
  const apps = useAppPool(db);

  it('deletes what is past its window; recent rows and live or failed-unacknowledged instances stay', async () => {
    const clock = new VirtualClock();
    const app = await apps.start({
      providers: MEMBERSHIP_PROVIDERS,
      clock,
      options: { retention: { finishedProcesses: '30d' } },
    });
    const [left, live, banned, acknowledged, recent] = ['left', 'live', 'banned', 'ack', 'recent'].map(
      uniqueKey,
    );
    for (const member of [left!, live!, banned!, acknowledged!]) await deliver(app, new MemberJoined(member));
    await deliver(app, new MemberLeft(left!));
    await deliver(app, new MemberBanned(banned!));
    await deliver(app, new MemberBanned(acknowledged!));
    await app.get(ProcessManagerService).acknowledgeFailure((await instanceOf(app, acknowledged!))!);
    const old = await Promise.all([left!, live!, banned!, acknowledged!].map((m) => instanceOf(app, m)));
    clock.advance('31d');
    await deliver(app, new MemberJoined(recent!));
    await deliver(app, new MemberLeft(recent!));
    const cutoff = new Date(clock.now().getTime() - 86_400_000);
    const [inbox, outbox] = [await countRows(app, 'pm_inbox'), await countRows(app, 'pm_outbox')];
    const recentRows = await rowsOf(app, (await instanceOf(app, recent!))!);

    const deleted = await app.get(RetentionJob).tickOnce();

    const [leftId, liveId, bannedId, acknowledgedId] = old as string[];
    for (const gone of [leftId!, acknowledgedId!])
      expect(await rowsOf(app, gone)).toEqual({
        process: 0,
        history: 0,
        associations: 0,
        inbox: 0,
        outbox: 0,
      });
    for (const kept of [liveId!, bannedId!])
      expect(await rowsOf(app, kept)).toMatchObject({ process: 1, associations: 1, inbox: 0, outbox: 0 });
    expect(await rowsOf(app, liveId!)).toMatchObject({ history: 1 });
    expect(await rowsOf(app, bannedId!)).toMatchObject({ history: 2 });
    expect(await rowsOf(app, (await instanceOf(app, recent!))!)).toEqual(recentRows);
    expect(await countRows(app, 'pm_inbox')).toBe(recentRows.inbox);
    expect(await countRows(app, 'pm_outbox', 'created_at < $1', [cutoff])).toBe(0);
    expect(await countRows(app, 'pm_outbox', 'created_at >= $1', [cutoff])).toBeGreaterThan(0);
    expect(deleted).toBe(
      inbox - (await countRows(app, 'pm_inbox')) + outbox - (await countRows(app, 'pm_outbox')) + 2,
    );
    expect(await app.get(RetentionJob).tickOnce()).toBe(0);
  });

  it('keeps finished instances by default, and any instance whose dead letter is still open', async () => {
    const clock = new VirtualClock();
    const keeping = await apps.start({ providers: MEMBERSHIP_PROVIDERS, clock });
    const member = uniqueKey('member');
    await deliver(keeping, new MemberJoined(member));
    await deliver(keeping, new MemberLeft(member));
    clock.advance('400d');
    await keeping.get(RetentionJob).tickOnce();
    expect(await instanceOf(keeping, member)).toBeDefined();
    await apps.stop(keeping);

    const app = await apps.start({
      providers: MEMBERSHIP_PROVIDERS,
      clock,
      options: { retry: { maxAttempts: 1 }, retention: { finishedProcesses: '30d' } },
    });
    const stuck = uniqueKey('member');
    await deliver(app, new MemberJoined(stuck));
    app.get(Mailbox).failNotes = true;
    await deliver(app, new MemberNoted(stuck, 'lost'));
    await deliver(app, new MemberLeft(stuck));
    expect(await app.get(ProcessManagerService).deadLetters()).toHaveLength(1);
    clock.advance('31d');

    await app.get(RetentionJob).tickOnce();
    expect(await instanceOf(app, member)).toBeUndefined();
    expect(await instanceOf(app, stuck)).toBeDefined();
    expect(await app.get(ProcessManagerService).deadLetters()).toHaveLength(1);
  });

  it('keeps a dead letter retried with success as resolved, for resolvedDeadLetters', async () => {
    const clock = new VirtualClock();
    const app = await apps.start({
      providers: MEMBERSHIP_PROVIDERS,
      clock,
      options: { retry: { maxAttempts: 1 } },
    });
    const processes = app.get(ProcessManagerService);
    const member = uniqueKey('member');
    await deliver(app, new MemberJoined(member));
    app.get(Mailbox).failNotes = true;
    await deliver(app, new MemberNoted(member, 'late'));
    const [deadLetter] = await processes.deadLetters();
    app.get(Mailbox).failNotes = false;
    clock.advance('1h');
    await processes.retryDeadLetter(deadLetter!.id);

    expect(await processes.deadLetters()).toEqual([]);
    const resolved = await query(
      app,
      'SELECT id, message_id, attempts, error, resolved_at FROM pm_dead_letter_resolved',
    );
    expect(resolved).toEqual([
      {
        id: deadLetter!.id,
        message_id: deadLetter!.messageId,
        attempts: 1,
        error: deadLetter!.error,
        resolved_at: clock.now(),
      },
    ]);
    clock.advance('29d');
    await app.get(RetentionJob).tickOnce();
    expect(await countRows(app, 'pm_dead_letter_resolved')).toBe(1);
    clock.advance('2d');
    await app.get(RetentionJob).tickOnce();
    expect(await countRows(app, 'pm_dead_letter_resolved')).toBe(0);
  });

  it('dedupes inside the inbox window after a retention run; past it a duplicate is applied again', async () => {
    const clock = new VirtualClock();
    const app = await apps.start({ providers: MEMBERSHIP_PROVIDERS, clock });
    const processes = app.get(ProcessManagerService);
    const [member, other] = [uniqueKey('member'), uniqueKey('member')];
    await deliver(app, new MemberJoined(other));
    clock.advance('2d');
    await deliver(app, new MemberJoined(member));
    await deliver(app, new MemberNoted(member, 'hello'), 'note-1');
    clock.advance('6d'); // `other` joined 8 days ago, `member` 6 days ago

    expect(await app.get(RetentionJob).tickOnce()).toBeGreaterThan(0);
    expect(await countRows(app, 'pm_inbox', 'process_id = $1', [await instanceOf(app, other)])).toBe(0);
    await deliver(app, new MemberNoted(member, 'hello'), 'note-1');
    const notes = async () => ((await processes.find('membership', member))!.state as MembershipState).notes;
    expect(await notes()).toEqual(['hello']);

    clock.advance('2d');
    await app.get(RetentionJob).tickOnce();
    await deliver(app, new MemberNoted(member, 'hello'), 'note-1');
    expect(await notes()).toEqual(['hello', 'hello']); // the documented trade-off of the window
  });

  it('shares a backlog between two app instances running it at once: each row deleted once, no waits', async () => {
    const clock = new VirtualClock();
    const options = { retention: { finishedProcesses: '30d' } };
    const both = [
      await apps.start({ providers: MEMBERSHIP_PROVIDERS, clock, options }),
      await apps.start({ providers: MEMBERSHIP_PROVIDERS, clock, options }),
    ];
    const seeded = await seedOldRows(db.url, {
      before: clock.now(),
      inbox: 3_500,
      outbox: 2_500,
      processes: 450,
    });

    const counts = await withoutLockWaits(
      db.url,
      Promise.all(both.map((app) => app.get(RetentionJob).tickOnce())),
    );

    expect(counts[0]! + counts[1]!).toBe(seeded.inbox + seeded.outbox + seeded.processes);
    for (const table of ['pm_inbox', 'pm_outbox', 'pm_process', 'pm_history', 'pm_association'])
      expect(await countRows(both[0]!, table)).toBe(0);
  });

  it('skips rows another transaction holds, without waiting, and deletes them in a later round', async () => {
    const clock = new VirtualClock();
    const app = await apps.start({
      providers: MEMBERSHIP_PROVIDERS,
      clock,
      options: { retention: { finishedProcesses: '30d' } },
    });
    const seeded = await seedOldRows(db.url, { before: clock.now(), inbox: 20, outbox: 20, processes: 5 });
    const locks = await holdRowLocks(db.url, { inbox: 3, outbox: 2, processes: 1 });
    let deleted: number;
    try {
      deleted = await withoutLockWaits(db.url, app.get(RetentionJob).tickOnce());
      expect(await countRows(app, 'pm_inbox')).toBe(3);
      expect(await countRows(app, 'pm_outbox')).toBe(2);
      expect(await countRows(app, 'pm_process')).toBe(1);
    } finally {
      await locks.release();
    }
    expect(deleted).toBe(seeded.inbox + seeded.outbox + seeded.processes - 6);
    expect(await app.get(RetentionJob).tickOnce()).toBe(6);
  });

  it('runs on its own as pm:retention every intervalMs, and not at all when switched off', async () => {
    const clock = new VirtualClock();
    const off = await apps.start({
      providers: MEMBERSHIP_PROVIDERS,
      clock,
      schedule: true,
      options: { retention: { enabled: false } },
    });
    expect(off.get(SchedulerRegistry).getIntervals()).not.toContain('pm:retention');
    await apps.stop(off);

    const on = await apps.start({
      providers: MEMBERSHIP_PROVIDERS,
      clock,
      schedule: true,
      options: { retention: { intervalMs: 50 } },
    });
    expect(on.get(SchedulerRegistry).getIntervals()).toContain('pm:retention');
    await seedOldRows(db.url, { before: clock.now(), inbox: 10, outbox: 0, processes: 0 });
    await waitFor(
      async () => (await countRows(on, 'pm_inbox')) === 0,
      'pm:retention to delete the old marks',
    );
  });
});
