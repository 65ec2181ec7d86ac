import { describe, expect, it } from '@jest/globals';
import { Injectable, type Type } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { OnEvent, ProcessManager, ProcessManagerService, type ProcessContext } from 'nestjs-process-manager';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { uniqueKey } from '../support/messages.js';
import { countRows, query } from '../support/sql.js';
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

class Stamped {
  constructor(readonly stampId: string) {}
}

@Injectable()
@ProcessManager({
  name: 'stamp',
  correlationKey: 'stampId',
  initialState: () => ({ stamps: [] as number[] }),
})
class WallClockProcess {
  @OnEvent(Stamped, { start: true })
  stamped(_event: Stamped, ctx: ProcessContext<{ stamps: number[] }>): void {
    ctx.state.stamps.push(Date.now()); // the bug verify() catches: time not from ctx.now()
  }
}

@Injectable()
@ProcessManager({
  name: 'clocked',
  correlationKey: 'stampId',
  initialState: () => ({ stamps: [] as string[] }),
})
class InjectedClockProcess {
  @OnEvent(Stamped, { start: true })
  stamped(_event: Stamped, ctx: ProcessContext<{ stamps: string[] }>): void {
    ctx.state.stamps.push(ctx.now().toISOString());
    ctx.schedule(new Stamped('later'), { after: '1h' }, 'again');
  }
}

describe('verify(): replaying recorded histories through the current code (PostgreSQL)', () => {
  const db = useTestDatabase();
  const createApp = useTestApps();
  const boot = (processClass: Type, ...more: Type[]) =>
    createApp({ url: db.url, providers: [processClass, ReportCountHandler, ...more] });

  /** A counter run: opened, bumped 1, 4, frozen, thawed, bumped 2 (seq 1..6). */
  async function recordedRun(app: TestingModule): Promise<string> {
    const processes = app.get(ProcessManagerService);
    const counterId = uniqueKey('counter');
    await processes.deliver(new CounterOpened(counterId));
    await processes.deliver(new CounterBumped(counterId, 1));
    await processes.deliver(new CounterBumped(counterId, 4));
    await processes.deliver(new CounterFrozen(counterId));
    await processes.deliver(new CounterBumped(counterId, 100)); // frozen: ignored
    await processes.deliver(new CounterThawed(counterId));
    await processes.deliver(new CounterBumped(counterId, 2));
    return (await processes.find(PROCESS, counterId))!.id;
  }

  it('passes on a recorded run, and has no side effects', async () => {
    const app = await boot(counterV1());
    const id = await recordedRun(app);
    const reports = app.get(ReportCountHandler).reports.length;
    const rows = { history: await countRows(app, 'pm_history'), outbox: await countRows(app, 'pm_outbox') };

    expect(await app.get(ProcessManagerService).verify(id)).toEqual({ processId: id, ok: true, steps: 7 });

    expect(app.get(ReportCountHandler).reports).toHaveLength(reports);
    expect(await countRows(app, 'pm_history')).toBe(rows.history);
    expect(await countRows(app, 'pm_outbox')).toBe(rows.outbox);
  });

  it("reports the exact step where a changed handler's state differs", async () => {
    const recorder = await boot(counterV1());
    const id = await recordedRun(recorder);
    await recorder.close();
    const changed = await boot(counterV1((state, by) => (state.count += by === 4 ? 40 : by)));

    expect(await changed.get(ProcessManagerService).verify(id)).toEqual({
      processId: id,
      ok: false,
      steps: 3,
      divergence: { seq: 3, field: 'state', recorded: { count: 5 }, replayed: { count: 41 } },
    });
  });

  it('reports the step where a changed handler sends a different command', async () => {
    const recorder = await boot(counterV1());
    const id = await recordedRun(recorder);
    await recorder.close();
    const changed = await boot(counterV1(undefined, (state) => (state.count > 5 ? -1 : state.count)));

    const report = await changed.get(ProcessManagerService).verify(id);
    expect(report).toMatchObject({ ok: false, steps: 7, divergence: { seq: 7, field: 'commands' } });
    expect(report.divergence!.recorded).toEqual([
      { type: 'ReportCount', payload: { counterId: expect.any(String), count: 7 } },
    ]);
    expect(report.divergence!.replayed).toEqual([
      { type: 'ReportCount', payload: { counterId: expect.any(String), count: -1 } },
    ]);
  });

  it("compares a version 1 history with version 2's code after upgrading the recorded states", async () => {
    const recorder = await boot(counterV1());
    const id = await recordedRun(recorder);
    await recorder.close();
    const v2 = await boot(counterV2());

    // Step 1 matches once { count: 0 } is migrated; at step 2 version 2 also counts the bump.
    expect(await v2.get(ProcessManagerService).verify(id)).toEqual({
      processId: id,
      ok: false,
      steps: 2,
      divergence: {
        seq: 2,
        field: 'state',
        recorded: { total: 1, bumps: 0 },
        replayed: { total: 1, bumps: 1 },
      },
    });
  });

  it('catches a handler that reads Date.now() instead of ctx.now(), and passes one that uses ctx.now()', async () => {
    const app = await boot(WallClockProcess, InjectedClockProcess);
    const processes = app.get(ProcessManagerService);
    await processes.deliver(new Stamped('s-1'));
    const wall = (await processes.find('stamp', 's-1'))!;
    const clocked = (await processes.find('clocked', 's-1'))!;
    const recordedAt = (wall.state as { stamps: number[] }).stamps[0]!;
    while (Date.now() === recordedAt) await new Promise((resolve) => setImmediate(resolve));

    const report = await processes.verify(wall.id);
    expect(report).toMatchObject({
      ok: false,
      steps: 1,
      divergence: { seq: 1, field: 'state', recorded: { stamps: [recordedAt] } },
    });
    expect(await processes.verify(clocked.id)).toEqual({ processId: clocked.id, ok: true, steps: 1 });
  });

  it('says a step recorded before inputs were kept cannot be replayed', async () => {
    const app = await boot(counterV1());
    const id = await recordedRun(app);
    await query(
      app,
      'UPDATE pm_history SET input_payload = NULL, input_metadata = NULL WHERE process_id = $1 AND seq = 3',
      [id],
    );

    const report = await app.get(ProcessManagerService).verify(id);
    expect(report).toMatchObject({ processId: id, ok: false, steps: 2 });
    expect(report.divergence).toBeUndefined();
    expect(report.reason).toMatch(/step 3 \(CounterBumped\) was recorded without its input message/);
  });

  it("takes an operator's cancel and state repair as recorded, and replays what follows a repair", async () => {
    const app = await boot(counterV1());
    const processes = app.get(ProcessManagerService);
    const cancelled = await recordedRun(app);
    await processes.cancel(cancelled, 'test');
    expect(await processes.verify(cancelled)).toEqual({ processId: cancelled, ok: true, steps: 7 });

    const repaired = await recordedRun(app);
    await processes.editState(repaired, { count: 70 }, { reason: 'test' });
    const { correlationKey } = (await processes.get(repaired))!;
    await processes.deliver(new CounterBumped(correlationKey, 5)); // applied to the repaired state
    expect((await processes.get(repaired))!.state).toMatchObject({ count: 75 });
    expect(await processes.verify(repaired)).toEqual({ processId: repaired, ok: true, steps: 8 });
  });

  it('verifyAll() verifies the newest instances of a type', async () => {
    const app = await boot(counterV1());
    const ids = [await recordedRun(app), await recordedRun(app)];

    const reports = await app.get(ProcessManagerService).verifyAll({ type: PROCESS, limit: 2 });
    expect(reports.map((report) => report.processId).sort()).toEqual([...ids].sort());
    expect(reports.every((report) => report.ok)).toBe(true);
  });
});
