import { describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { InvalidProcessVersionError, ProcessManagerService } from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { StuckProcessRecoverer, TimerPoller } from '../../src/scheduling/index.js';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { uniqueKey } from '../support/messages.js';
import { query } from '../support/sql.js';
import {
  CounterBumped,
  CounterFrozen,
  CounterOpened,
  CounterThawed,
  counterV1,
  counterV2,
  PROCESS,
  ReportCountHandler,
} from './counters.js';

const rowOf = async (app: TestingModule, id: string) =>
  (
    await query<{ state: object; state_version: number; version: number }>(
      app,
      'SELECT state, state_version, version FROM pm_process WHERE id = $1',
      [id],
    )
  )[0]!;

const failuresOf = (app: TestingModule, id: string) =>
  query<{ status: string; attempts: number; error: string }>(
    app,
    'SELECT status, attempts, error FROM pm_dead_letter WHERE process_id = $1',
    [id],
  );

describe('state versions and migrations (PostgreSQL)', () => {
  const db = useTestDatabase();
  const createApp = useTestApps();
  const boot = (processClass: ReturnType<typeof counterV1>, clock?: VirtualClock) =>
    createApp({ url: db.url, providers: [processClass, ReportCountHandler], clock });

  async function startedByV1(bumps: number[] = [3]) {
    const v1 = await boot(counterV1());
    const counterId = uniqueKey('counter');
    const processes = v1.get(ProcessManagerService);
    await processes.deliver(new CounterOpened(counterId));
    for (const by of bumps) await processes.deliver(new CounterBumped(counterId, by));
    const instance = (await processes.find(PROCESS, counterId))!;
    return { v1, counterId, instance };
  }

  it('records the version each state was written with; existing rows and version 1 apps write 1', async () => {
    const { v1, instance } = await startedByV1();
    expect(await rowOf(v1, instance.id)).toMatchObject({ state: { count: 3 }, state_version: 1 });
    expect(instance.stateVersion).toBe(1);
    const history = await v1.get(ProcessManagerService).history(instance.id);
    expect(history.map((entry) => entry.stateVersion)).toEqual([1, 1]);
    expect(history.map((entry) => entry.state)).toEqual([{ count: 0 }, { count: 3 }]);
  });

  it('migrates an older state before the handler and commits the migrated state', async () => {
    const { v1, counterId, instance } = await startedByV1([3, 4]);
    await v1.close();
    const v2 = await boot(counterV2());
    await v2.get(ProcessManagerService).deliver(new CounterBumped(counterId, 2));

    expect(await rowOf(v2, instance.id)).toMatchObject({ state: { total: 9, bumps: 1 }, state_version: 2 });
    const history = await v2.get(ProcessManagerService).history(instance.id);
    expect(history.map((entry) => entry.stateVersion)).toEqual([1, 1, 1, 2]);
    expect(v2.get(ReportCountHandler).reports.map((report) => report.count)).toEqual([9]);
  });

  it('commits the migrated state even when the event is ignored', async () => {
    const { v1, counterId, instance } = await startedByV1();
    await v1.close();
    const v2 = await boot(counterV2());
    await v2.get(ProcessManagerService).deliver(new CounterThawed(counterId)); // not frozen: ignored

    expect(await rowOf(v2, instance.id)).toMatchObject({ state: { total: 3, bumps: 0 }, state_version: 2 });
  });

  it('dead-letters a delivery whose migration throws, with its error, and leaves the stored state as it was', async () => {
    const { v1, counterId, instance } = await startedByV1();
    await v1.close();
    const broken = counterV2({
      migrations: {
        2: () => {
          throw new Error('cannot read count');
        },
      },
    });
    const v2 = await boot(broken);
    await v2.get(ProcessManagerService).deliver(new CounterBumped(counterId, 2));

    expect(await rowOf(v2, instance.id)).toEqual({ state: { count: 3 }, state_version: 1, version: 2 });
    const [failure] = await failuresOf(v2, instance.id);
    expect(failure).toMatchObject({ status: 'dead', attempts: 1 });
    expect(failure!.error).toMatch(/migrations\[2\] of "counter" failed on .*cannot read count/);
  });

  it('defers a delivery to an instance a newer version wrote: not an attempt, never dead-lettered', async () => {
    const clock = new VirtualClock();
    const v2 = await boot(counterV2(), clock);
    const counterId = uniqueKey('counter');
    await v2.get(ProcessManagerService).deliver(new CounterOpened(counterId));
    const instance = (await v2.get(ProcessManagerService).find(PROCESS, counterId))!;
    const v1 = await createApp({
      url: db.url,
      providers: [counterV1(), ReportCountHandler],
      clock,
      options: { retry: { maxAttempts: 2 } },
    });

    const log = jest.spyOn(Logger.prototype, 'log');
    await v1.get(ProcessManagerService).deliver(new CounterBumped(counterId, 5));
    for (let round = 0; round < 4; round++) {
      clock.advance('1h');
      expect(await v1.get(TimerPoller).tickOnce()).toBe(1); // v1 takes the retry again: still deferred
    }
    const deferrals = log.mock.calls
      .map(([message]) => String(message))
      .filter((m) => m.includes('deferred'));
    log.mockRestore();
    expect(deferrals).toHaveLength(1); // once per instance, however often it is deferred

    expect(await rowOf(v1, instance.id)).toMatchObject({ state: { total: 0, bumps: 0 }, state_version: 2 });
    const [deferred] = await failuresOf(v1, instance.id);
    expect(deferred).toMatchObject({ status: 'retrying', attempts: 0 });
    expect(deferred!.error).toMatch(/written by version 2, this app knows version 1/);

    await v1.close();
    clock.advance('1h');
    expect(await v2.get(TimerPoller).tickOnce()).toBe(1);
    expect(await rowOf(v2, instance.id)).toMatchObject({ state: { total: 5, bumps: 1 }, state_version: 2 });
    expect(await failuresOf(v2, instance.id)).toEqual([]);
  });

  it("leaves reporting a stuck instance a newer version wrote to that version's apps", async () => {
    const clock = new VirtualClock();
    const options = { recovery: { stuckAfterMs: 60_000 } };
    const v2 = await createApp({ url: db.url, providers: [counterV2(), ReportCountHandler], clock, options });
    const counterId = uniqueKey('counter');
    await v2.get(ProcessManagerService).deliver(new CounterOpened(counterId));
    const { id } = (await v2.get(ProcessManagerService).find(PROCESS, counterId))!;
    const v1 = await createApp({ url: db.url, providers: [counterV1(), ReportCountHandler], clock, options });
    const outcomes = async () =>
      (await v2.get(ProcessManagerService).history(id)).map((entry) => entry.outcome);

    clock.advance('10m');
    await v1.get(StuckProcessRecoverer).tickOnce();
    expect(await outcomes()).toEqual(['handled']);
    await v2.get(StuckProcessRecoverer).tickOnce();
    expect(await outcomes()).toEqual(['handled', 'stalled']);
  });

  it('fails boot with InvalidProcessVersionError for a gap in migrations, a version below 1 or a stray migration', async () => {
    const migrate = (state: object) => state;
    await expect(boot(counterV2({ version: 3, migrations: { 2: migrate } }))).rejects.toThrow(
      InvalidProcessVersionError,
    );
    await expect(boot(counterV2({ version: 3, migrations: { 2: migrate } }))).rejects.toThrow(
      /"counter" has version 3: migrations\[3\] missing/,
    );
    await expect(boot(counterV2({ version: 0, migrations: {} }))).rejects.toThrow(
      /version 0: not an integer >= 1/,
    );
    await expect(boot(counterV2({ version: 2, migrations: { 2: migrate, 4: migrate } }))).rejects.toThrow(
      /migrations\[4\] lie outside 2..2/,
    );
  });

  it('lists live instances resting in a state the new definition has no handler for', async () => {
    const { v1, counterId, instance } = await startedByV1();
    const processes = v1.get(ProcessManagerService);
    await processes.deliver(new CounterFrozen(counterId));
    const other = uniqueKey('counter');
    await processes.deliver(new CounterOpened(other));
    expect(await processes.orphanedStates()).toEqual([]);
    await v1.close();

    const warn = jest.spyOn(Logger.prototype, 'warn');
    const v2 = await boot(counterV2({ thaw: false }));
    const lines = warn.mock.calls.map(([message]) => String(message)).filter((m) => m.includes('no handler'));
    warn.mockRestore();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('counter/frozen: 1');
    expect(await v2.get(ProcessManagerService).orphanedStates()).toEqual([
      { type: PROCESS, stateName: 'frozen', count: 1 },
    ]);
    expect((await v2.get(ProcessManagerService).get(instance.id))?.stateName).toBe('frozen');
  });
});
