import { describe, expect, it } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import type { TestingModule } from '@nestjs/testing';
import { ProcessCompleted, ProcessStarted } from 'nestjs-process-manager';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { COUNTER_PROVIDERS, Tick } from '../support/fixtures/counter.js';
import { Recorder } from '../support/fixtures/recorder.js';
import { uniqueKey } from '../support/messages.js';
import { countRows, query } from '../support/sql.js';
import { waitFor } from '../support/wait-for.js';

const INSTANCES = 8;
const TICKS = 12;

describe('two app instances on one database (PostgreSQL)', () => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  it('lose no event and complete each instance exactly once', async () => {
    const apps: TestingModule[] = [];
    for (let i = 0; i < 2; i++) apps.push(await createApp({ url: db.url, providers: COUNTER_PROVIDERS }));
    const keys = Array.from({ length: INSTANCES }, () => uniqueKey('counter'));

    // Every Tick may start its counter: the apps also race to create each instance.
    for (let tick = 0; tick < TICKS; tick++) {
      keys.forEach((key, k) => apps[(tick + k) % 2]!.get(EventBus).publish(new Tick(key, TICKS)));
    }
    const [app] = apps;
    await waitFor(
      async () =>
        (await countRows(app!, 'pm_process', `type = 'counter' AND status = 'completed'`)) === INSTANCES,
      `${INSTANCES} completed counters`,
    );
    const received = (type: typeof ProcessStarted | typeof ProcessCompleted) =>
      apps.flatMap((each) => each.get(Recorder).eventsOf(type));
    await waitFor(() => received(ProcessCompleted).length >= INSTANCES, 'ProcessCompleted from both apps');

    const rows = await query<{
      id: string;
      correlation_key: string;
      version: number;
      state: { count: number };
    }>(
      app!,
      `SELECT id, correlation_key, version, state FROM pm_process WHERE type = 'counter' ORDER BY correlation_key`,
    );
    expect(rows.map((row) => row.correlation_key)).toEqual([...keys].sort());
    for (const row of rows) {
      expect(row).toMatchObject({ version: TICKS, state: { count: TICKS } });
      expect(await countRows(app!, 'pm_history', 'process_id = $1', [row.id])).toBe(TICKS);
    }
    const completedIds = received(ProcessCompleted).map((event) => event.processId);
    expect(completedIds.sort()).toEqual(rows.map((row) => row.id).sort());
    expect(received(ProcessStarted)).toHaveLength(INSTANCES);
    expect(await countRows(app!, 'pm_outbox', `type = 'ProcessManager.ProcessCompleted'`)).toBe(INSTANCES);
  });
});
