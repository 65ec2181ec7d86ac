import { describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { ProcessManagerService, type ProcessManagerModuleOptions } from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { StuckProcessRecoverer, TimerPoller } from '../../src/scheduling/index.js';
import { useTestDatabase } from '../support/database.js';
import { useAppPool } from '../support/fixtures/app-pool.js';
import { Gates, WATCH_PROVIDERS, WatchArmed, WatchRead, WatchStarted } from '../support/fixtures/watches.js';
import { uniqueKey } from '../support/messages.js';
import { query } from '../support/sql.js';
import { waitFor } from '../support/wait-for.js';

const failuresOf = (app: TestingModule, processId: string) =>
  query<{ status: string; attempts: number; error: string }>(
    app,
    'SELECT status, attempts, error FROM pm_dead_letter WHERE process_id = $1',
    [processId],
  );

/** Long enough that a hang outlives the test: what is asserted holds while the handler still hangs. */
const FOREVER: ProcessManagerModuleOptions = { retry: { handlerTimeoutMs: 2_147_483_647 } };

describe('a hung handler holds up only its own instance (PostgreSQL)', () => {
  const db = useTestDatabase();
  const apps = useAppPool(db);

  async function boot(options: ProcessManagerModuleOptions = FOREVER, clock = new VirtualClock()) {
    const app = await apps.start({ providers: WATCH_PROVIDERS, clock, options });
    const processes = app.get(ProcessManagerService);
    const gates = app.get(Gates);
    const start = async (after: string) => {
      const watchId = uniqueKey('watch');
      await processes.deliver(new WatchStarted(watchId, after));
      return (await processes.find('watch', watchId))!;
    };
    return { app, clock, processes, gates, start, poller: app.get(TimerPoller) };
  }

  const state = async (app: TestingModule, id: string) =>
    (await app.get(ProcessManagerService).get(id))?.state;

  it("delivers other instances' timers and retries while one timer's handler hangs", async () => {
    const { app, clock, gates, start, poller } = await boot();
    const hung = await start('1m');
    const failing = await start('1m');
    const later = await start('2m');
    gates.hang(`due:${hung.correlationKey}`);
    gates.failOnce(`due:${failing.correlationKey}`);

    clock.advance('1m');
    const hungRound = poller.tickOnce();
    await waitFor(() => gates.entered(`due:${hung.correlationKey}`), 'the hung handler to be entered');
    await waitFor(
      async () => (await failuresOf(app, failing.id)).length === 1,
      'the failing timer to be kept as a retry',
    );

    clock.advance('1m'); // the second watch's timer and the retry of the failing one are due now
    expect(await poller.tickOnce()).toBe(2);
    expect(await state(app, later.id)).toEqual({ fired: 1, reads: 0 });
    expect(await state(app, failing.id)).toEqual({ fired: 1, reads: 0 });
    expect(await state(app, hung.id)).toEqual({ fired: 0, reads: 0 });

    gates.releaseAll();
    await hungRound;
    expect(await state(app, hung.id)).toEqual({ fired: 1, reads: 0 });
  });

  it('closes the app in bounded time while a handler still hangs', async () => {
    const { app, clock, gates, start, poller } = await boot({ ...FOREVER, shutdownTimeoutMs: 200 });
    const hung = await start('1m');
    gates.hang(`due:${hung.correlationKey}`);
    clock.advance('1m');
    const hungRound = poller.tickOnce();
    await waitFor(() => gates.entered(`due:${hung.correlationKey}`), 'the hung handler to be entered');

    await apps.stop(app); // without a bound this never returns and the test times out
    gates.releaseAll();
    await hungRound;
  });

  it('keeps the claim of a timer waiting behind its instance: another app instance does not take it', async () => {
    const clock = new VirtualClock();
    const first = await boot(FOREVER, clock);
    const second = await boot(FOREVER, clock);
    const watch = await first.start('1m');
    await first.processes.deliver(new WatchArmed(watch.correlationKey, '1m'));
    first.gates.hang(`due:${watch.correlationKey}`);
    first.gates.hang(`alarm:${watch.correlationKey}`); // should the other app take it, it hangs too

    clock.advance('1m');
    const hungRound = first.poller.tickOnce(); // claims both timers; the alarm waits behind the hung one
    await waitFor(() => first.gates.entered(`due:${watch.correlationKey}`), 'the hung handler');

    clock.advance('2m'); // both claims would have lapsed by now
    expect(await first.poller.tickOnce()).toBe(0); // renews them
    expect(await second.poller.tickOnce()).toBe(0);
    const locked = await query<{ locked_until: Date }>(
      first.app,
      'SELECT locked_until FROM pm_timer WHERE process_id = $1',
      [watch.id],
    );
    expect(locked.map((row) => row.locked_until.getTime())).toEqual(
      locked.map(() => clock.now().getTime() + 60_000),
    );

    first.gates.releaseAll();
    await hungRound;
    expect(await state(first.app, watch.id)).toEqual({ fired: 2, reads: 0 });
    expect(second.gates.log).toEqual([]);
  });

  it('fails a handler that outlives retry.handlerTimeoutMs with HandlerTimeoutError, frees its instance and retries it', async () => {
    const { app, clock, gates, start, poller, processes } = await boot({ retry: { handlerTimeoutMs: 100 } });
    const watch = await start('1m');
    gates.hang(`due:${watch.correlationKey}`);

    clock.advance('1m');
    expect(await poller.tickOnce()).toBe(1); // settles once the handler timed out
    const [failure] = await failuresOf(app, watch.id);
    expect(failure).toMatchObject({ status: 'retrying', attempts: 1 });
    expect(failure!.error).toMatch(
      /^HandlerTimeoutError: WatchProcess\.onDue\(\) of "watch" did not finish WatchDue/,
    );

    await processes.deliver(new WatchRead(watch.correlationKey)); // the instance's line is free again
    expect(await state(app, watch.id)).toEqual({ fired: 0, reads: 1 });

    gates.release(`due:${watch.correlationKey}`); // the late handler's result is dropped with its draft
    clock.advance('1m');
    expect(await poller.tickOnce()).toBe(1);
    expect(await state(app, watch.id)).toEqual({ fired: 1, reads: 1 });
    expect(await failuresOf(app, watch.id)).toEqual([]);
  });

  it('reports an instance stuck when its timer, claimed by a hung delivery elsewhere, is long overdue', async () => {
    const clock = new VirtualClock();
    const hanging = await boot(FOREVER, clock);
    const recovering = await boot(FOREVER, clock);
    const recovery = recovering.app.get(StuckProcessRecoverer);
    const stuck = await hanging.start('1m');
    const waiting = await hanging.start('3h'); // idle as long, but its timer is still to come
    const late = await hanging.start('56m'); // overdue by less than five leases: the poller may just lag
    hanging.gates.hang(`due:${stuck.correlationKey}`);

    clock.advance('1m');
    const hungRound = hanging.poller.tickOnce();
    await waitFor(() => hanging.gates.entered(`due:${stuck.correlationKey}`), 'the hung handler');

    clock.advance('59m'); // idle for an hour, past the default stuckAfter of 5 minutes
    expect(await recovery.tickOnce()).toBe(1);
    const reported = await query<{ id: string }>(
      recovering.app,
      'SELECT id FROM pm_process WHERE stalled_at IS NOT NULL',
    );
    expect(reported.map((row) => row.id)).toEqual([stuck.id]);
    expect([waiting.id, late.id]).not.toContain(reported[0]!.id);

    hanging.gates.releaseAll();
    await hungRound;
  });
});
